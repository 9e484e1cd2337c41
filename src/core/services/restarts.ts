import path from 'node:path';
import { removeIfExists, writeJsonAtomic, writeJsonAtomicSync } from '../system/fs.js';
import { layout } from '../system/paths.js';
import { readStateJson } from '../system/state-file.js';
import { readText } from './fs-cb.js';
import type { ContainerInfo } from './lifecycle.js';

/**
 * How crashed services come back. Podman restarts a container the moment it exits, with no delay
 * between tries, so the engine's own policy is off and `blueprint service watch` restarts instead:
 * after 1 s, then 2 s, 4 s… up to 5 min; `on-failure` restarts at most 5 times in a row, then
 * leaves the service stopped; a run of 10 min clears the count. A service that stays unhealthy
 * (see `HealthWatch`) counts as a crash: stopped, then restarted with the same backoff.
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

/**
 * When a running service counts as failed although its process lives: its health check failed
 * `failures` times in a row, `intervalMs` apart, once its `health.startTimeout` is over (a hung
 * server, a deadlock, a lost GPU). 3 × 10 s as Docker's HEALTHCHECK retries, at a third of
 * Docker's interval: a box serving a few clients notices a dead service within half a minute.
 */
export interface HealthWatch {
  intervalMs: number;
  failures: number;
}

export const DEFAULT_HEALTH_WATCH: HealthWatch = { intervalMs: 10_000, failures: 3 };

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
  /** Why the last crash was counted: the process exited, or it stayed unhealthy (then stopped). */
  lastCause?: 'exit' | 'unhealthy';
  /** Failed health checks in a row of the running container (reset by a passing one). */
  healthFailures?: number;
  /** The boot (its time, ISO) at which the watcher brought the service back after a shutdown. */
  bootStart?: string;
}

export const EMPTY_RECORD: RestartRecord = { crashes: 0, restarts: 0 };

const recordFile = (root: string, name: string) =>
  path.join(layout(root).stateDir, 'services', name, 'restarts.json');

/**
 * A record not JSON, or not a record, is damagedFile (status and the watcher name it): taken as
 * empty, an admin's stop (`held`) would be lost and the watcher would start the service again.
 * damaged-file.ts is a command-part module: imported only then (this one is on `service start`'s way).
 */
export async function readRestartRecord(root: string, name: string): Promise<RestartRecord> {
  const file = recordFile(root, name);
  const r = await readStateJson<RestartRecord>(file).catch((err) => {
    if (err instanceof SyntaxError) return err;
    throw err;
  });
  if (r === undefined) return { ...EMPTY_RECORD };
  if (r instanceof SyntaxError || typeof r?.crashes !== 'number' || typeof r.restarts !== 'number')
    throw (await import('../system/damaged-file.js')).damagedFile(
      file,
      r instanceof SyntaxError ? r : 'not a restart record',
      `It counts ${name}'s restarts after crashes. \`blueprint service stop ${name}\` or \`blueprint service start ${name}\` writes it anew (the count starts over).`,
    );
  return r;
}

export async function writeRestartRecord(root: string, name: string, r: RestartRecord): Promise<void> {
  await writeJsonAtomic(recordFile(root, name), r);
}

/** Removing the last version: nothing left to count. An admin's stop: held until started again. */
export async function clearRestartRecord(root: string, name: string): Promise<void> {
  await removeIfExists(recordFile(root, name));
}

/** A damaged record is written anew, held: a stopped service needs no count (readRestartRecord). */
export async function holdRestarts(root: string, name: string): Promise<void> {
  const r = await readRestartRecord(root, name).catch((err) => {
    if (err?.code === 'damaged-file') return { ...EMPTY_RECORD };
    throw err;
  });
  const { restartAt: _, ...rest } = r;
  await writeRestartRecord(root, name, { ...rest, held: true });
}

/**
 * What an admin's start writes: a fresh count that knows the exit it starts over, so a watcher
 * looking between this and the start neither counts it as a crash nor starts it a second time.
 */
export function freshStart(seen: Observed | undefined, bootedAt: number): RestartRecord {
  if (!seen || seen.running) return { ...EMPTY_RECORD };
  return {
    ...EMPTY_RECORD,
    lastExit: seen.finishedAtText,
    lastExitCode: seen.exitCode,
    bootStart: new Date(bootedAt).toISOString(),
  };
}

/**
 * The record an admin's start writes. Synchronously (write, fsync, rename, fsync the folder, as
 * writeJsonAtomic): `service start` writes it while the engine creates the container, when its
 * main thread has nothing else to do, and so loads neither node:fs/promises nor file handles
 * (~1.5 ms of CPU a start, issue 20). The folder is the registration's, so it exists.
 */
export async function startRestartRecord(root: string, name: string, info: ContainerInfo | undefined) {
  const seen = info && observe(info);
  const record = freshStart(seen, await bootTime());
  writeJsonAtomicSync(recordFile(root, name), record);
}

/** When this boot began: the kernel's btime (whole seconds, the same for every process). */
export async function bootTime(): Promise<number> {
  const stat = await readText('/proc/stat').catch(() => '');
  const btime = /^btime (\d+)$/m.exec(stat);
  return btime
    ? Number(btime[1]) * 1000
    : Math.floor((Date.now() - process.getBuiltinModule('node:os').uptime() * 1000) / 1000) * 1000;
}

export function backoffDelay(crashes: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, crashes - 1));
}

/** The container as the engine reports it. */
export interface Observed {
  running: boolean;
  exitCode: number;
  startedAt: number;
  /** The engine's StartedAt, as it wrote it: the identity of this run. */
  startedAtText?: string;
  finishedAt: number;
  /** The engine's FinishedAt, as it wrote it: the identity of this exit. */
  finishedAtText: string;
  /**
   * The engine reset the container at boot (Podman's refresh: "configured" again, although it had
   * run): the process went with the previous boot, whatever FinishedAt says.
   */
  lost?: boolean;
  /** Running, and its health check was just asked: passed or failed. Absent: not asked this time. */
  health?: 'ok' | 'failed';
}

const NEVER = '0001-01-01';

/** What the engine reports, as `decide` reads it; undefined: nothing to judge (never started, paused, stopping). */
export function observe(info: ContainerInfo): Observed | undefined {
  const s = info.State;
  const everStarted = !s.StartedAt.startsWith(NEVER);
  // Podman's refresh after a reboot turns containers that were running into "configured" ones.
  const lost = (s.Status === 'configured' || s.Status === 'created') && everStarted;
  if (!s.Running && s.Status !== 'exited' && s.Status !== 'stopped' && !lost) return undefined;
  return {
    running: s.Running,
    exitCode: s.ExitCode,
    startedAt: Date.parse(s.StartedAt),
    startedAtText: s.StartedAt,
    finishedAt: Date.parse(s.FinishedAt),
    finishedAtText: s.FinishedAt,
    ...(lost ? { lost } : {}),
  };
}

/**
 * What to do about one service now: a pure function of the policy, what the engine reports, the
 * record and the time.
 * - `bootedAt`: when this boot began. An exit from before it is the shutdown, not a crash: the
 *   service comes back once (unless stopped by an admin, given up on, or `no`), uncounted.
 * - Any later exit is a crash if the policy says so, whether a watcher saw it happen or finds it
 *   when it starts (it ran not at all, or was restarted by an upgrade): counted, and restarted
 *   when its delay, counted from the exit, is over; an old crash at once.
 * - A running service whose health check failed `hw.failures` times in a row is a crash too:
 *   `stop` asks the watcher to stop it now (it serves nothing) and restart it after the delay.
 * `crashed`: this call counted a new crash (the record then says whether a restart is due, or that
 * the watcher gave up).
 */
export function decide(
  policy: RestartPolicy,
  seen: Observed,
  record: RestartRecord,
  now: number,
  bootedAt: number,
  b: Backoff = DEFAULT_BACKOFF,
  hw: HealthWatch = DEFAULT_HEALTH_WATCH,
): { record: RestartRecord; start: boolean; crashed: boolean; stop: boolean } {
  const leave = { record, start: false, crashed: false, stop: false };
  if (seen.running) {
    const settled = record.crashes > 0 && now - seen.startedAt >= b.resetAfterMs;
    let next = settled ? { ...record, crashes: 0, delaysMs: [] } : record;
    if (seen.health === 'ok' && next.healthFailures) {
      const { healthFailures: _, ...rest } = next;
      next = rest;
    }
    if (seen.health !== 'failed' || record.held || record.gaveUp || policy === 'no')
      return { ...leave, record: next };
    const failures = (next.healthFailures ?? 0) + 1;
    if (failures < hw.failures) return { ...leave, record: { ...next, healthFailures: failures } };
    const counted = countCrash(policy, next, now, b, settled);
    return {
      record: { ...counted, lastCause: 'unhealthy', healthFailures: 0 },
      start: false,
      crashed: true,
      stop: true,
    };
  }
  if (record.held || record.gaveUp || policy === 'no') return leave;
  const bootId = new Date(bootedAt).toISOString();
  if ((seen.lost || seen.finishedAt < bootedAt) && record.bootStart !== bootId) {
    // The shutdown stopped it (or it was lost with the boot): bring it back once, as it was.
    const { restartAt: _, healthFailures: __, ...rest } = record;
    const next = { ...rest, lastExit: seen.finishedAtText, lastExitCode: seen.exitCode, bootStart: bootId };
    return { record: next, start: true, crashed: false, stop: false };
  }
  let crashed = false;
  // A run first seen gone (its process dead behind the engine: inspectContainer gives its start as
  // its exit), then reported exited by the engine (its conmon only slow), is the crash already counted.
  const seenGoneBefore = seen.startedAtText !== undefined && record.lastExit === seen.startedAtText;
  if (seenGoneBefore && record.lastExit !== seen.finishedAtText && !seen.running)
    record = { ...record, lastExit: seen.finishedAtText, lastExitCode: seen.exitCode };
  if (record.lastExit !== seen.finishedAtText && !seen.lost && seen.finishedAt >= bootedAt) {
    const failed = seen.exitCode !== 0;
    if (policy === 'on-failure' && !failed) {
      const next = { ...record, lastExit: seen.finishedAtText, lastExitCode: seen.exitCode };
      return { ...leave, record: next };
    }
    const ranLong = seen.finishedAt - seen.startedAt >= b.resetAfterMs;
    const counted = countCrash(policy, record, seen.finishedAt, b, ranLong);
    record = { ...counted, lastExit: seen.finishedAtText, lastExitCode: seen.exitCode, lastCause: 'exit' };
    if (record.gaveUp) return { record, start: false, crashed: true, stop: false };
    crashed = true;
  }
  if (record.restartAt && now >= Date.parse(record.restartAt)) {
    const { restartAt: _, healthFailures: __, ...rest } = record;
    return { record: { ...rest, restarts: record.restarts + 1 }, start: true, crashed, stop: false };
  }
  return { record, start: false, crashed, stop: false };
}

/**
 * One more crash at `at`: the next delay and when the restart is due, or, past `on-failure`'s
 * tries, given up. `fresh`: it had run long enough to start a new count.
 */
function countCrash(
  policy: RestartPolicy,
  record: RestartRecord,
  at: number,
  b: Backoff,
  fresh: boolean,
): RestartRecord {
  const crashes = fresh ? 1 : record.crashes + 1;
  const delays = fresh ? [] : (record.delaysMs ?? []);
  const { restartAt: _, ...rest } = record;
  if (policy === 'on-failure' && crashes > b.onFailureTries)
    return { ...rest, crashes, delaysMs: delays, gaveUp: true };
  const delay = backoffDelay(crashes, b);
  return { ...rest, crashes, delaysMs: [...delays, delay], restartAt: new Date(at + delay).toISOString() };
}
