/** The module server kit: one hardened HTTP-on-a-unix-socket server for every module. See ../README.md. */
export { ByteBudget, hasLoneSurrogate, parseJson } from './body.js';
export { MODULE_NAME } from './clients.js';
export { defaultMaxConnections, openFileLimit } from './connections.js';
export { cpuQuota, inferenceThreads } from './cpu.js';
export { busy, ClientGoneError, diskFull, HttpError, isDiskFull } from './errors.js';
export { SocketInUseError } from './listen.js';
export { createLog, escapeLogLine, type KitLog, routeConsole } from './log.js';
export { JobTimeoutError, type Pool, startPool, WorkerJobError } from './pool.js';
export {
  applyPurgeRecords,
  onPurgeSignal,
  PURGE_DIR_ENV,
  type PurgeRecord,
  parsePurgeRecord,
  readPurgeRecords,
} from './purge.js';
export { FairQueue } from './queue.js';
export {
  createKitServer,
  defaultLimits,
  type KitLimits,
  type KitServer,
  listenOnSocket,
  type Reply,
  type RequestContext,
  type Route,
} from './server.js';
export { MIN_TOKEN_LENGTH, readAccessToken } from './token.js';
export { ModelVerificationError, parseFileHashes, verifyModelFiles } from './verify.js';
export { serveJobs } from './worker.js';

/** A positive integer from the environment, or the fallback when unset. */
export function intFromEnv(name: string, fallback: number, env = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}=${raw} must be a positive integer`);
  return v;
}

/**
 * Stops on SIGTERM/SIGINT: drain (finish what is queued, within timeoutMs), then `after`, then exit
 * 0. A second signal exits at once.
 */
export function drainOnSignals(
  kit: { drain(ms: number): Promise<void> },
  log: (line: string) => void,
  timeoutMs: number,
  after: () => Promise<void> = async () => undefined,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: the admin wants it gone now
    stopping = true;
    log(`${signal}: finishing open requests (at most ${Math.round(timeoutMs / 1000)} s)`);
    kit
      .drain(timeoutMs)
      .then(after)
      .then(
        () => process.exit(0),
        (err: Error) => {
          log(`stopping: ${err.message}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
