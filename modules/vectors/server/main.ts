/**
 * Entry point of the vectors service container: opens the store in the data folder (replaying the
 * write-ahead log), serves the Qdrant REST subset on the socket, checkpoints periodically and on
 * SIGTERM. Configuration from the environment the services layer sets (see ../README.md). The same
 * file, started as a worker thread, parses large request bodies (offload.ts).
 */
import { unlink } from 'node:fs/promises';
import { isMainThread, workerData } from 'node:worker_threads';
import {
  applyPurgeRecords,
  createLog,
  drainOnSignals,
  intFromEnv,
  onPurgeSignal,
  PURGE_DIR_ENV,
  readAccessToken,
  serveJobs,
  startPool,
} from '../../kit/server/index.js';
import { createVectorsServer } from './api.js';
import { purgeConsumer } from './consumer-purge.js';
import { DEFAULT_MAX_TIMEOUT_S } from './deadline.js';
import { setGraphHost } from './graph.js';
import { GraphHost, serveGraphs } from './graph-thread.js';
import { type BodyJob, bodyParser, parseBodyJob } from './offload.js';
import { Store } from './store.js';

const log = createLog({
  name: 'vectors',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});

async function main(): Promise<void> {
  const env = process.env;
  // Handled from the first moment (SIGUSR2's default would end the process); until the store is
  // open a signal does nothing: the start applies every record there once it is.
  let purge = async () => {};
  onPurgeSignal(() => purge(), log);
  const socketPath = env.BLUEPRINT_SOCKET ?? env.VECTORS_SOCKET ?? '/run/vectors/api.sock';
  const dataDir = env.VECTORS_DATA_DIR ?? '/var/lib/vectors/db';
  // VECTORS_GRAPH_THREAD=1: every HNSW graph in one worker thread, its only copy; searches walk
  // there while this thread does the requests' I/O (graph.ts). Not the default: it costs ~0.1 ms
  // more CPU a query and lost to the event loop at moderate load on the 2-core box (README,
  // "Runs 36-"). If it dies, /health fails and graph searches get a 503 until a restart.
  const graphs =
    env.VECTORS_GRAPH_THREAD === '1'
      ? new GraphHost(new URL(import.meta.url), (why) => log(`the graph thread ${why}: restart the service`))
      : undefined;
  setGraphHost(graphs);
  const store = await Store.open(dataDir, log);
  // A consumer the admin purged while this was stopped: its collections go before anything is
  // served; while it runs, blueprint's SIGUSR2 says a record is there (consumer-purge.ts).
  const purgeDir = env[PURGE_DIR_ENV];
  purge = () => applyPurgeRecords(purgeDir, log, (c, before) => purgeConsumer(store, c, before, log));
  await purge();
  store.checkpointBytes = intFromEnv('VECTORS_CHECKPOINT_BYTES', 64 * 1024 * 1024);
  store.crashAt = env.VECTORS_CRASH_AT; // tests only: kill the process at that point of a checkpoint
  const pauseMs = intFromEnv('VECTORS_TEST_GRAPH_PAUSE_MS', 0); // tests only: a longer graph write
  if (pauseMs > 0) store.graphPause = () => new Promise((r) => setTimeout(r, pauseMs));
  // One worker: bodies are bounded in memory by the kit's budget, and parsing them is the only
  // work it does. Its heap is bounded (a body that blows it gets a 503; the worker restarts).
  const pool = await startPool({
    file: new URL(import.meta.url),
    data: {},
    log,
    // Its young generation as before the main thread's was made smaller (Containerfile): 8 MiB
    // semi-spaces (V8's young generation is three of them) for the big upsert bodies it parses.
    resourceLimits: {
      maxOldGenerationSizeMb: intFromEnv('VECTORS_PARSER_HEAP_MB', 768),
      maxYoungGenerationSizeMb: 24,
    },
  });
  const offLoopBytes = intFromEnv('VECTORS_OFF_LOOP_BYTES', 256 * 1024);
  const kit = createVectorsServer(store, {
    log,
    bodies: bodyParser(pool, offLoopBytes),
    token: await readAccessToken(env.VECTORS_TOKEN_FILE, log),
    maxTimeoutS: intFromEnv('VECTORS_MAX_TIMEOUT_S', DEFAULT_MAX_TIMEOUT_S),
    limits: {
      maxBodyBytes: intFromEnv('VECTORS_MAX_BODY_BYTES', 32 * 1024 * 1024),
      maxBodySetting: 'VECTORS_MAX_BODY_BYTES', // named in the 413 (`blueprint service config`)
      maxBufferedBytes: intFromEnv('VECTORS_MAX_BUFFERED_BYTES', 96 * 1024 * 1024),
    },
  });
  await kit.listen(socketPath);
  // A checkpoint bounds replay time at the next start; changes are durable without it (the log).
  const every = intFromEnv('VECTORS_CHECKPOINT_SECONDS', 300) * 1000;
  let lastSeq = store.seq;
  const timer = setInterval(() => {
    if (store.seq === lastSeq) return;
    lastSeq = store.seq;
    store.checkpoint().catch((err: Error) => log(`checkpoint failed: ${err.message}`));
  }, every);
  timer.unref();
  drainOnSignals(kit, log, 7_000, async () => {
    clearInterval(timer);
    await pool.close();
    await store.close();
    await graphs?.close();
    log.flush();
    await unlink(socketPath).catch(() => undefined);
  });
  // Said only once SIGTERM is handled: whoever waits for this line to stop the server (the
  // services layer, a test) must get a checkpoint and exit 0, not the default signal death.
  log.startup(
    `serving the Qdrant REST API subset on ${socketPath}, data in ${dataDir}; bodies over ${offLoopBytes} bytes parsed in a worker thread`,
  );
}

if (isMainThread) {
  main().catch((err: unknown) => {
    log(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  });
} else if ((workerData as { vectorsGraph?: boolean } | undefined)?.vectorsGraph) {
  serveGraphs();
} else {
  serveJobs(async () => ({ ready: true, handle: (job) => parseBodyJob(job as BodyJob) }));
}
