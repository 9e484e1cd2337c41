import type { Change, SetupPlan } from './plan.js';

/** A running service that goes on with what it was started with until it is restarted. */
export interface RestartNeeded {
  /** The module (its service has the same name). */
  name: string;
  /** What apply changed under it: its resource overrides, its settings, or both. */
  changed: ('resources' | 'settings')[];
}

const MODULE_FILE = /^etc\/blueprint\/(overrides|settings)\/([^/]+)\.json$/;

/**
 * The services that ran before this apply and still run after it, whose resource overrides or
 * settings it changed: a container keeps the limits and environment it was started with, so the
 * change reaches it only at its next start (`blueprint service restart NAME`); apply restarts
 * nothing. A service apply started itself was started after its files were written (files come
 * first in a plan), so it already runs with them.
 */
export function restartNeeded(plan: SetupPlan, done: readonly Change[]): RestartNeeded[] {
  const runningThrough = new Set(
    plan.changes.filter((c) => c.kind === 'service' && c.action === 'unchanged').map((c) => c.target),
  );
  const out = new Map<string, RestartNeeded>();
  for (const c of done) {
    const m = MODULE_FILE.exec(c.target);
    if (!m || c.action === 'unchanged' || !runningThrough.has(m[2]!)) continue;
    const entry = out.get(m[2]!) ?? { name: m[2]!, changed: [] };
    const what = m[1] === 'overrides' ? 'resources' : 'settings';
    if (!entry.changed.includes(what)) entry.changed.push(what);
    out.set(m[2]!, entry);
  }
  return [...out.values()];
}
