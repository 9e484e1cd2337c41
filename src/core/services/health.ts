import { existsSync, watch } from 'node:fs';
import path from 'node:path';
import { BlueprintError } from '../errors.js';
import { layout } from '../system/paths.js';
import { inspectContainer } from './container-info.js';
import type { Engine } from './engine.js';
import { type AnswerLimits, exchangeOnce, type WireAnswer } from './engine-wire.js';
import { serviceDirs } from './policy.js';
import type { LoadedRegistration } from './registry.js';
import { pinSocket } from './socket-pin.js';

/** node:timers/promises would cost a module load on the start path for this one use. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the health endpoint until it answers 2xx; fails early when the container exits.
 * `started`: the start request, when it is still on its way. Probing begins with it, because the
 * service may listen before the engine answers; health is only reported once start has answered
 * (its error, if any, is the caller's to throw), and exits are looked for from then on.
 */
export async function waitHealthy(
  deps: { engine: Engine; root: string },
  reg: LoadedRegistration,
  signal?: AbortSignal,
  started: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  let answered = false;
  started.then(
    () => {
      answered = true;
    },
    () => {},
  );
  const file = socketFile(deps.root, reg);
  const pinDir = layout(deps.root).runDir;
  // A change in the socket's folder (the service binding its socket: inotify) wakes the next probe
  // at once instead of at the next step of the schedule.
  const changes = file ? folderChanges(path.dirname(file)) : undefined;
  try {
    const begun = Date.now();
    const deadline = begun + reg.spec.health!.startTimeout * 1000;
    let exitCheck = begun + 200;
    for (let i = 0; ; i++) {
      signal?.throwIfAborted();
      // No socket yet: nothing to ask (a stat instead of a refused connection's CPU).
      const present = file !== undefined && existsSync(file);
      if (present && (await probe(pinDir, file, reg, reg.spec.health!.http))) {
        await started;
        return;
      }
      // Whether it exited: every 200 ms in the first second, then every 2 s (an engine call each).
      if (answered && Date.now() >= exitCheck) {
        exitCheck = Date.now() + (Date.now() - begun < 1000 ? 200 : 2000);
        const info = await inspectContainer(deps.engine, reg.name, deps.root);
        if (!info?.State.Running && info?.State.Status !== 'created')
          throw new BlueprintError(
            `${reg.name} exited with code ${info?.State.ExitCode ?? '?'} before it became healthy`,
            'service-exited',
            `See \`blueprint service logs ${reg.name}\`.`,
          );
      }
      if (Date.now() > deadline)
        throw new BlueprintError(
          `${reg.name} did not become healthy within ${reg.spec.health!.startTimeout}s`,
          'service-unhealthy',
          `It is still running; see \`blueprint service logs ${reg.name}\` and \`blueprint service status ${reg.name}\`.`,
        );
      // Without its socket, the folder's next change (checked every 100 ms should a change be missed).
      const delay = present || !changes ? healthPollDelay(i) : 100;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, delay);
        changes?.next().then(resolve);
      });
      clearTimeout(timer); // a timer left behind would hold the process up to 100 ms after its answer
    }
  } finally {
    changes?.close();
  }
}

/**
 * Milliseconds before health poll i+1: every 5 ms for the first ~200 ms (most services listen
 * by then; a refused probe costs ~0.2 ms of CPU, so finer steps would take the CPU the service
 * starts with), every 10 ms up to ~1 s, then every 100 ms.
 */
export function healthPollDelay(i: number): number {
  return i < 40 ? 5 : i < 120 ? 10 : 100;
}

/** GET the health path over the service's unix socket (no TCP anywhere). */
export function checkHealth(root: string, reg: LoadedRegistration): Promise<boolean> {
  const file = socketFile(root, reg);
  return file ? probe(layout(root).runDir, file, reg, reg.spec.health!.http) : Promise.resolve(false);
}

/** The service's socket on the host, when it has one and a health check. */
function socketFile(root: string, reg: LoadedRegistration): string | undefined {
  const { health, socket } = reg.spec;
  return health && socket ? path.join(serviceDirs(root, reg.name).socketDir, socket.file) : undefined;
}

/**
 * The socket's folder is the module's: the probe connects to the socket pinned where only root can
 * write, never through a link the module left at its name (socket-pin.ts), which would have had
 * root ask another socket of the host and judged the module healthy by that one's answer.
 */
async function probe(
  runDir: string,
  file: string,
  reg: LoadedRegistration,
  urlPath: string,
): Promise<boolean> {
  const pin = await pinSocket(runDir, file, reg.name).catch(() => undefined);
  if (!pin) return false;
  return httpOverSocket(pin.path, urlPath)
    .then(
      (r) => r.status >= 200 && r.status < 300,
      () => false,
    )
    .finally(pin.release);
}

/** The next change in a folder, as a promise; undefined where the folder cannot be watched. */
function folderChanges(dir: string): { next(): Promise<void>; close(): void } | undefined {
  let changed = false;
  let wake: (() => void) | undefined;
  try {
    const watcher = watch(dir, { persistent: false }, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => wake?.());
    return {
      next() {
        if (changed) {
          changed = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          wake = () => {
            changed = false;
            wake = undefined;
            resolve();
          };
        });
      },
      close: () => watcher.close(),
    };
  } catch {
    return undefined; // no folder yet, or no inotify: the schedule alone
  }
}

/** A probe gives up when the whole answer has not come within this long (connect to last byte). */
export const HEALTH_TIMEOUT_MS = 2000;

/**
 * A service's answer is untrusted input: read with the kit's strict response parser, as the engine's
 * answers and the kit client's are (engine-wire.ts), its head and whole answer bounded and the
 * exchange given HEALTH_TIMEOUT_MS in all. node:http read the body without a bound, and its timeout
 * never ended a probe of a service that trickles, streams or accepts and never answers
 * (test/services/health-probe.test.ts). Its cold first request also took 10-15 ms (wall clock, from
 * the probe to its answer) at the end of every `service start` on the VM of 2026-12-01, where this
 * path is the engine calls' own, already compiled and run three times by then (issue 20: CPU a
 * start 102 -> 91 ms with the thread-pool fix in wiring.ts, 15 pairs).
 */
const HEALTH_LIMITS: AnswerLimits = {
  maxHeadBytes: 16 * 1024,
  maxAnswerBytes: 1024 * 1024,
  interim: true, // skipped, as node:http did
  host: 'localhost',
  peer: 'the service',
  timeoutMs: HEALTH_TIMEOUT_MS,
};

/** One GET on a service's unix socket (no TCP anywhere); rejects on a refused, broken or late answer. */
export function httpOverSocket(socketPath: string, urlPath: string): Promise<WireAnswer> {
  return exchangeOnce(socketPath, 'GET', urlPath, HEALTH_LIMITS);
}
