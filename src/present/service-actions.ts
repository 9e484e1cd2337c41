import type { StartResult } from '../core/services/start-service.js';

/**
 * The lines a start, restart or stop of a service answers with, the same in every front end (the
 * CLI, the console, the dashboard): what happened, not only that the action ended. Its own small
 * module: `service start` loads it, and services.ts would bring the inspection code onto the start
 * path (issue 20).
 */

/**
 * NAME's line of a start: started (healthy after N ms) or already running; `user`: what used it.
 * One running an older version than the installed one (upgraded, not restarted) says so, with the
 * restart that starts the installed one.
 */
export function startLine(r: StartResult, done: string, user?: string): string {
  const by = user ? ` (used by ${user})` : '';
  const installed = r.installedVersion
    ? ` (${r.installedVersion} is installed: \`blueprint service restart ${r.name}\` starts it)`
    : '';
  return r.alreadyRunning
    ? `${r.name} ${r.version} was already running${by}${r.healthy ? ', healthy' : ''}${installed}`
    : `${r.name} ${r.version} ${done}${by}${r.healthy ? `, healthy after ${r.startToHealthyMs} ms` : ''}`;
}

/** The modules a start started first (or found running), theirs before them: one line each. */
export const usedLines = (r: StartResult): string[] =>
  (r.uses ?? []).flatMap((u) => [...usedLines(u), startLine(u, 'started', r.name)]);

/**
 * A start's or restart's lines: what it used first, then the service itself, then where its API is
 * (its socket on this box: what a client is pointed at).
 */
export const startLines = (r: StartResult, done: 'started' | 'restarted'): string[] => [
  ...usedLines(r),
  startLine(r, done),
  ...(r.socket ? [`${r.name}'s API: ${r.socket}`] : []),
];

/** A stop's line: stopped, or it was not running (nothing done). */
export const stopLine = (name: string, stopped: boolean): string =>
  stopped ? `${name} stopped` : `${name} was not running`;
