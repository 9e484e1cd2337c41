import { setTimeout as sleep } from 'node:timers/promises';
import { inspectContainer, restartCrashed, type ServiceDeps } from './lifecycle.js';
import { listRegistrations } from './registry.js';
import { type Backoff, DEFAULT_BACKOFF, decide, readRestartRecord, writeRestartRecord } from './restarts.js';

export type WatchEvent =
  | { kind: 'scheduled'; name: string; exitCode: number; crashes: number; delayMs: number }
  | { kind: 'restarted'; name: string; restarts: number }
  | { kind: 'started'; name: string }
  | { kind: 'gave-up'; name: string; exitCode: number; crashes: number }
  | { kind: 'error'; name: string; message: string };

/**
 * One look at every installed service: counts new exits, restarts those whose delay is over.
 * `watchStarted`: exits before it are a shutdown or a reboot, not crashes (see `decide`).
 */
export async function superviseOnce(
  deps: ServiceDeps,
  watchStarted: number,
  backoff: Backoff = DEFAULT_BACKOFF,
  now = Date.now(),
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for (const reg of await listRegistrations(deps.root)) {
    try {
      const info = await inspectContainer(deps.engine, reg.name);
      // Never started (or removed): nothing to bring back.
      if (!info || info.State.Status === 'created' || info.State.Status === 'configured') continue;
      const before = await readRestartRecord(deps.root, reg.name);
      const seen = {
        running: info.State.Running,
        exitCode: info.State.ExitCode,
        startedAt: Date.parse(info.State.StartedAt),
        finishedAt: Date.parse(info.State.FinishedAt),
        finishedAtText: info.State.FinishedAt,
      };
      const { record, start, crashed } = decide(reg.spec.restart, seen, before, now, watchStarted, backoff);
      if (JSON.stringify(record) !== JSON.stringify(before))
        await writeRestartRecord(deps.root, reg.name, record);
      if (crashed)
        events.push(
          record.gaveUp
            ? { kind: 'gave-up', name: reg.name, exitCode: seen.exitCode, crashes: record.crashes }
            : {
                kind: 'scheduled',
                name: reg.name,
                exitCode: seen.exitCode,
                crashes: record.crashes,
                delayMs: record.delaysMs?.at(-1) ?? 0,
              },
        );
      if (start) {
        await restartCrashed(deps, reg);
        events.push(
          record.restarts > before.restarts
            ? { kind: 'restarted', name: reg.name, restarts: record.restarts }
            : { kind: 'started', name: reg.name },
        );
      }
    } catch (err) {
      events.push({ kind: 'error', name: reg.name, message: (err as Error).message });
    }
  }
  return events;
}

/**
 * `blueprint service watch`: the restart supervisor (blueprint-services.service on the box). All
 * it knows is on disk or in the engine, so it can be stopped and started at any time.
 */
export async function watchServices(
  deps: ServiceDeps,
  opts: {
    signal?: AbortSignal;
    intervalMs?: number;
    backoff?: Backoff;
    onEvent?: (e: WatchEvent) => void;
  } = {},
): Promise<void> {
  const started = Date.now();
  const lastError = new Map<string, string>(); // an engine that is down is said once, not every second
  while (!opts.signal?.aborted) {
    for (const e of await superviseOnce(deps, started, opts.backoff)) {
      if (e.kind === 'error') {
        if (lastError.get(e.name) === e.message) continue;
        lastError.set(e.name, e.message);
      } else lastError.delete(e.name);
      opts.onEvent?.(e);
    }
    await sleep(opts.intervalMs ?? 1000, undefined, { signal: opts.signal }).catch(() => {});
  }
}
