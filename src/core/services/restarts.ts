import path from 'node:path';
import { readJsonIfExists, removeIfExists, writeJsonAtomic } from '../system/fs.js';
import { layout } from '../system/paths.js';

/**
 * How crashed services come back. Podman restarts a container the moment it exits, with no delay
 * between tries, so the engine's own policy is off and `blueprint service watch` restarts instead:
 * after 1 s, then 2 s, 4 s… up to 5 min; `on-failure` restarts at most 5 times in a row, then
 * leaves the service stopped; a run of 10 min clears the count.
 */
export interface Backoff {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
  onFailureTries: number;
}

export const DEFAULT_BACKOFF: Backoff = {
  baseMs: 1000,
  maxMs: 5 * 60_000,
  resetAfterMs: 10 * 60_000,
  onFailureTries: 5,
};

export type RestartPolicy = 'no' | 'on-failure' | 'always';

/** What blueprint keeps about a service's exits, on disk: it survives blueprint and reboots. */
export interface RestartRecord {
  /** Crashes in a row (reset by a long enough run, or by an admin's start). */
  crashes: number;
  /** Restarts done by the watcher since the admin last started the service. */
  restarts: number;
  /** The exit this record has counted (the engine's FinishedAt), so one exit counts once. */
  lastExit?: string;
  lastExitCode?: number;
  /** When the watcher starts it again; absent when it will not. */
  restartAt?: string;
  /** Crashed again after `onFailureTries` restarts in a row under `on-failure`: left stopped. */
  gaveUp?: boolean;
  /** Stopped by an admin: never restarted until started again. */
  held?: boolean;
  /** The delays used so far in this run of crashes, for status and for tests. */
  delaysMs?: number[];
}

export const EMPTY_RECORD: RestartRecord = { crashes: 0, restarts: 0 };

const recordFile = (root: string, name: string) =>
  path.join(layout(root).stateDir, 'services', name, 'restarts.json');

export async function readRestartRecord(root: string, name: string): Promise<RestartRecord> {
  return (await readJsonIfExists<RestartRecord>(recordFile(root, name))) ?? { ...EMPTY_RECORD };
}

export async function writeRestartRecord(root: string, name: string, r: RestartRecord): Promise<void> {
  await writeJsonAtomic(recordFile(root, name), r);
}

/** An admin's start: a fresh count. An admin's stop: held until started again. */
export async function clearRestartRecord(root: string, name: string): Promise<void> {
  await removeIfExists(recordFile(root, name));
}

export async function holdRestarts(root: string, name: string): Promise<void> {
  const r = await readRestartRecord(root, name);
  const { restartAt: _, ...rest } = r;
  await writeRestartRecord(root, name, { ...rest, held: true });
}

export function backoffDelay(crashes: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, crashes - 1));
}

/** The container as the engine reports it. */
export interface Observed {
  running: boolean;
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  /** The engine's FinishedAt, as it wrote it: the identity of this exit. */
  finishedAtText: string;
}

/**
 * What to do about one service now: a pure function of the policy, what the engine reports, the
 * record and the time. `watchStarted`: exits from before the watcher ran (a shutdown, a reboot)
 * are not crashes; an `always` service is started again anyway. `crashed`: this call counted a new
 * crash (the record then says whether a restart is due, or that the watcher gave up).
 */
export function decide(
  policy: RestartPolicy,
  seen: Observed,
  record: RestartRecord,
  now: number,
  watchStarted: number,
  b: Backoff = DEFAULT_BACKOFF,
): { record: RestartRecord; start: boolean; crashed: boolean } {
  if (seen.running) {
    const settled = record.crashes > 0 && now - seen.startedAt >= b.resetAfterMs;
    return {
      record: settled ? { ...record, crashes: 0, delaysMs: [] } : record,
      start: false,
      crashed: false,
    };
  }
  if (record.held || record.gaveUp || policy === 'no') return { record, start: false, crashed: false };
  let crashed = false;
  if (record.lastExit !== seen.finishedAtText) {
    const beforeWatch = seen.finishedAt < watchStarted;
    const failed = seen.exitCode !== 0;
    if (beforeWatch || (policy === 'on-failure' && !failed)) {
      const next = { ...record, lastExit: seen.finishedAtText, lastExitCode: seen.exitCode };
      return { record: next, start: policy === 'always' && beforeWatch, crashed: false };
    }
    const ranLong = seen.finishedAt - seen.startedAt >= b.resetAfterMs;
    const crashes = ranLong ? 1 : record.crashes + 1;
    const base = {
      ...record,
      crashes,
      lastExit: seen.finishedAtText,
      lastExitCode: seen.exitCode,
      delaysMs: ranLong ? [] : (record.delaysMs ?? []),
    };
    if (policy === 'on-failure' && crashes > b.onFailureTries) {
      const { restartAt: _, ...rest } = base;
      return { record: { ...rest, gaveUp: true }, start: false, crashed: true };
    }
    crashed = true;
    const delay = backoffDelay(crashes, b);
    record = {
      ...base,
      restartAt: new Date(seen.finishedAt + delay).toISOString(),
      delaysMs: [...base.delaysMs, delay],
    };
  }
  if (record.restartAt && now >= Date.parse(record.restartAt)) {
    const { restartAt: _, ...rest } = record;
    return { record: { ...rest, restarts: record.restarts + 1 }, start: true, crashed };
  }
  return { record, start: false, crashed };
}
