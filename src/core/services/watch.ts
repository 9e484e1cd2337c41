import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError } from '../errors.js';
import { checkHealth, inspectContainer, ownOrNone, restartCrashed, type ServiceDeps } from './lifecycle.js';
import { containerName } from './policy.js';
import { type LoadedRegistration, listRegistrations } from './registry.js';
import {
  type Backoff,
  bootTime,
  DEFAULT_BACKOFF,
  DEFAULT_HEALTH_WATCH,
  decide,
  type HealthWatch,
  type Observed,
  observe,
  readRestartRecord,
  writeRestartRecord,
} from './restarts.js';

export type CrashCause = 'exit' | 'unhealthy';

export type WatchEvent =
  | {
      kind: 'scheduled';
      name: string;
      /** `unhealthy`: it still ran, but failed `failures` health checks in a row; the watcher stopped it. */
      cause: CrashCause;
      exitCode: number;
      failures?: number;
      crashes: number;
      delayMs: number;
    }
  | { kind: 'restarted'; name: string; restarts: number }
  /** Brought back after the shutdown of the previous boot (not a crash: nothing counted). */
  | { kind: 'started'; name: string }
  | { kind: 'gave-up'; name: string; cause: CrashCause; exitCode: number; crashes: number }
  | { kind: 'error'; name: string; message: string };

export interface SuperviseOptions {
  health?: HealthWatch;
  /** When each service's health was last asked (the watcher keeps it between looks). */
  lastChecked?: Map<string, number>;
}

/** Asks the health check of a running service when it is due: after its start timeout, then every interval. */
async function healthNow(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  seen: Observed,
  now: number,
  hw: HealthWatch,
  lastChecked: Map<string, number> | undefined,
): Promise<'ok' | 'failed' | undefined> {
  const health = reg.spec.health;
  if (!seen.running || !health || reg.spec.restart === 'no') return undefined;
  if (now - seen.startedAt < health.startTimeout * 1000) return undefined;
  const last = lastChecked?.get(reg.name);
  if (last !== undefined && now - last < hw.intervalMs) return undefined;
  lastChecked?.set(reg.name, now);
  return (await checkHealth(deps.root, reg)) ? 'ok' : 'failed';
}

/**
 * One look at every installed service: counts new exits and failed health checks, stops services
 * that stayed unhealthy, restarts those whose delay is over. The same look at start as later: a
 * crash from before the watcher ran is found like one that happens while it runs.
 * `bootedAt`: exits before it are the shutdown of an earlier boot, not crashes (see `decide`).
 */
export async function superviseOnce(
  deps: ServiceDeps,
  bootedAt: number,
  backoff: Backoff = DEFAULT_BACKOFF,
  now = Date.now(),
  opts: SuperviseOptions = {},
): Promise<WatchEvent[]> {
  const hw = opts.health ?? DEFAULT_HEALTH_WATCH;
  const events: WatchEvent[] = [];
  // A damaged registration is the module's error (said once, with its fix); the others are watched.
  const regs = await listRegistrations(deps.root, undefined, (name, err) =>
    events.push({ kind: 'error', name, message: `${err.message}. ${err.hint}` }),
  );
  for (const reg of regs) {
    try {
      // Another box's container (a copied root) is not watched from here.
      const info = await inspectContainer(deps.engine, reg.name, deps.root).catch(ownOrNone);
      const observed = info && observe(info);
      if (!observed) continue;
      const before = await readRestartRecord(deps.root, reg.name);
      const health =
        before.held || before.gaveUp
          ? undefined
          : await healthNow(deps, reg, observed, now, hw, opts.lastChecked);
      const seen: Observed = health ? { ...observed, health } : observed;
      let { record, start, crashed, stop } = decide(
        reg.spec.restart,
        seen,
        before,
        now,
        bootedAt,
        backoff,
        hw,
      );
      let exitCode = seen.exitCode;
      if (stop) {
        // Counted first, so a watcher killed during the stop still restarts it when due.
        await writeRestartRecord(deps.root, reg.name, record);
        await deps.engine.libpod('POST', `/containers/${containerName(reg.name)}/stop`, {
          query: { timeout: reg.spec.stopTimeout },
          ok: [304],
        });
        // The stop's own exit is this crash, not another one.
        const after = await inspectContainer(deps.engine, reg.name, deps.root);
        if (after) {
          exitCode = after.State.ExitCode;
          record = { ...record, lastExit: after.State.FinishedAt, lastExitCode: exitCode };
        }
      }
      if (JSON.stringify(record) !== JSON.stringify(before))
        await writeRestartRecord(deps.root, reg.name, record);
      const cause = record.lastCause ?? 'exit';
      if (crashed)
        events.push(
          record.gaveUp
            ? { kind: 'gave-up', name: reg.name, cause, exitCode, crashes: record.crashes }
            : {
                kind: 'scheduled',
                name: reg.name,
                cause,
                exitCode,
                ...(cause === 'unhealthy' ? { failures: hw.failures } : {}),
                crashes: record.crashes,
                delayMs: record.delaysMs?.at(-1) ?? 0,
              },
        );
      if (start) {
        await restartCrashed(deps, reg);
        opts.lastChecked?.delete(reg.name);
        events.push(
          record.restarts > before.restarts
            ? { kind: 'restarted', name: reg.name, restarts: record.restarts }
            : { kind: 'started', name: reg.name },
        );
      }
    } catch (err) {
      // Stopped (Ctrl-C, SIGTERM) while the engine was asked: the look ends here, nothing said (the
      // engine's calls end on the signal, engine.ts); the next watcher's first look finds the rest.
      if (err instanceof InterruptedError) break;
      // With the error's hint, as a damaged registration's (a damaged restart record: how to renew it).
      const { message, hint } = err as Error & { hint?: string };
      events.push({ kind: 'error', name: reg.name, message: hint ? `${message}. ${hint}` : message });
    }
  }
  return events;
}

/**
 * `blueprint service watch`: the restart supervisor (blueprint-services.service on the box). All
 * it knows is on disk or in the engine, so it can be stopped and started at any time: its first
 * look reconciles what happened while none ran.
 */
export async function watchServices(
  deps: ServiceDeps,
  opts: {
    signal?: AbortSignal;
    intervalMs?: number;
    backoff?: Backoff;
    health?: HealthWatch;
    onEvent?: (e: WatchEvent) => void;
  } = {},
): Promise<void> {
  const bootedAt = await bootTime();
  const lastChecked = new Map<string, number>();
  const lastError = new Map<string, string>(); // an engine that is down is said once, not every second
  while (!opts.signal?.aborted) {
    const events = await superviseOnce(deps, bootedAt, opts.backoff, Date.now(), {
      lastChecked,
      ...(opts.health ? { health: opts.health } : {}),
    });
    for (const e of events) {
      if (e.kind === 'error') {
        if (lastError.get(e.name) === e.message) continue;
        lastError.set(e.name, e.message);
      } else lastError.delete(e.name);
      opts.onEvent?.(e);
    }
    await sleep(opts.intervalMs ?? 1000, undefined, { signal: opts.signal }).catch(() => {});
  }
}
