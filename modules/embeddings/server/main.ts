/**
 * Entry point of the embeddings service container. Configuration comes from the environment the
 * services layer sets (see ../README.md); nothing is fetched from the network.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import {
  cpuQuota,
  createLog,
  defaultLimits,
  drainOnSignals,
  intFromEnv,
  readAccessToken,
} from '../../kit/server/index.js';
import type { Device } from './engine.js';
import { runEngineWorker, startEngineWorker } from './engine-worker.js';
import { createApiServer } from './http.js';
import { placementLine } from './placement.js';
import { parseFileHashes, verifyModelFiles } from './verify.js';

/** The longest a single query may hold the main thread (EMBEDDINGS_QUERY_WAIT_MS): well inside /health's 2 s. */
const MAX_QUERY_WAIT_MS = 1000;

const log = createLog({
  name: 'embeddings',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});

/**
 * `auto` tries CUDA when the GPU pass-through put an NVIDIA device node in the container (the
 * engine then falls back to CPU, with the reason logged, if the CUDA provider cannot load).
 */
function chooseDevice(setting: string): Device {
  if (setting === 'cpu' || setting === 'cuda') return setting;
  if (setting !== 'auto') throw new Error(`EMBEDDINGS_DEVICE=${setting} must be auto, cpu or cuda`);
  return existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0') ? 'cuda' : 'cpu';
}

async function main(): Promise<void> {
  const env = process.env;
  // BLUEPRINT_SOCKET: set by the services layer to the socket in its bind-mounted directory.
  const socketPath = env.BLUEPRINT_SOCKET ?? env.EMBEDDINGS_SOCKET ?? '/run/embeddings/api.sock';
  const modelDir = env.EMBEDDINGS_MODEL_DIR ?? '/models';
  const model = env.EMBEDDINGS_MODEL;
  if (!model)
    throw new Error('EMBEDDINGS_MODEL (the model folder name under EMBEDDINGS_MODEL_DIR) is not set');
  const device = chooseDevice(env.EMBEDDINGS_DEVICE ?? 'auto');

  if (env.EMBEDDINGS_VERIFY !== 'off') {
    const files = parseFileHashes(env.EMBEDDINGS_FILES);
    const count = await verifyModelFiles(files, env.EMBEDDINGS_FILES_ROOT ?? '/', join(modelDir, model));
    log.startup(`verified ${count} model files against the signed manifest`);
  } else {
    log.startup('WARNING: model file verification is off (EMBEDDINGS_VERIFY=off)');
  }

  const threads = intFromEnv(
    'EMBEDDINGS_THREADS',
    Math.min(cpuQuota() ?? availableParallelism(), availableParallelism()),
  );
  const inlineMs = env.EMBEDDINGS_INLINE_MS === 'off' ? 0 : intFromEnv('EMBEDDINGS_INLINE_MS', 2);
  // A single query's budget, larger as a client waits for it (engine-worker.ts). Off by default:
  // for a transformer the copy it needs costs ~220 MiB (MiniLM shape) for ~0.3 ms a query (README).
  const queryMs = env.EMBEDDINGS_QUERY_INLINE_MS === 'off' ? 0 : intFromEnv('EMBEDDINGS_QUERY_INLINE_MS', 0);
  // A short single query in the worker, the main thread blocked up to this long for its answer
  // (engine-worker.ts queryWaiter): /health waits at most this much. 0 or off: always the message.
  const waitMs = env.EMBEDDINGS_QUERY_WAIT_MS === 'off' ? 0 : intFromEnv('EMBEDDINGS_QUERY_WAIT_MS', 30);
  // While it waits nothing else runs on the main thread: the services layer gives /health 2 s.
  if (waitMs > MAX_QUERY_WAIT_MS)
    throw new Error(
      `EMBEDDINGS_QUERY_WAIT_MS=${waitMs} is more than ${MAX_QUERY_WAIT_MS} ms: health checks and every other client would stall that long behind one query; set at most ${MAX_QUERY_WAIT_MS}, or off`,
    );
  // The model loads and runs in a worker thread started from this same file (the bundle).
  const engine = await startEngineWorker(
    new URL(import.meta.url),
    {
      modelDir,
      model,
      device,
      maxTokens: env.EMBEDDINGS_MAX_TOKENS ? intFromEnv('EMBEDDINGS_MAX_TOKENS', 0) : undefined,
      threads,
      // Padded tokens a model run: a larger batch runs in several, so its buffers stay small (README).
      maxRunTokens: intFromEnv('EMBEDDINGS_RUN_TOKENS', 1024),
    },
    log,
    // Bounds the worker's JavaScript heap (tokens, pooled vectors); a worker over it is restarted.
    // Its young generation as --max-semi-space-size=2 makes it (3 semi-spaces): large batches run
    // here, and a small young generation is what brings memory back down after a burst (README).
    { maxOldGenerationSizeMb: intFromEnv('EMBEDDINGS_WORKER_HEAP_MB', 512), maxYoungGenerationSizeMb: 6 },
    // Batches estimated under this many milliseconds run on the main thread (engine-worker.ts).
    inlineMs,
    queryMs,
    waitMs,
  );
  const { info } = engine;
  const kit = createApiServer(engine, {
    maxBatch: intFromEnv('EMBEDDINGS_MAX_BATCH', 64),
    // Generous for text (4-5 characters a token in English), small enough to tokenise in milliseconds.
    maxInputChars: intFromEnv('EMBEDDINGS_MAX_INPUT_CHARS', info.maxTokens * 64),
    maxBodyBytes: intFromEnv('EMBEDDINGS_MAX_BODY_BYTES', 4 * 1024 * 1024),
    maxQueue: intFromEnv('EMBEDDINGS_MAX_QUEUE', 32),
    token: await readAccessToken(env.EMBEDDINGS_TOKEN_FILE, log),
    log,
    healthy: engine.healthy,
    limits: {
      maxConnections: intFromEnv('EMBEDDINGS_MAX_CONNECTIONS', defaultLimits().maxConnections),
      maxQueuedPerConnection: intFromEnv('EMBEDDINGS_MAX_QUEUE_PER_CONNECTION', 4),
      maxBufferedBytes: intFromEnv('EMBEDDINGS_MAX_BUFFERED_BYTES', 32 * 1024 * 1024),
    },
  });
  await kit.listen(socketPath);
  log.startup(
    `serving ${info.model} (dimension ${info.dimension}, max ${info.maxTokens} tokens) on ${socketPath}`,
  );
  log.startup(`device: ${info.device} (${info.deviceReason}), ${threads} inference threads`);
  // Decided again from the batches it runs; a change is logged then (engine-worker.ts, placement.ts).
  log.startup(placementLine(engine.msPerChar, engine.onMainThread));
  if (waitMs > 0)
    log.startup(
      `single queries up to ${Math.floor(waitMs / engine.msPerChar)} characters: the main thread waits up to ${waitMs} ms for the worker's answer`,
    );
  const l = kit.limits;
  log.startup(
    `limits: ${l.maxConnections} connections, ${l.maxQueued} queued (${l.maxQueuedPerConnection} per connection), ` +
      `${l.maxBodyBytes} bytes a body, ${l.maxBufferedBytes} buffered`,
  );
  // Within the manifest's stopTimeout (10 s) less time to unlink and exit.
  drainOnSignals(kit, log, 7_000, async () => {
    log.flush();
    await unlink(socketPath).catch(() => undefined);
    await engine.dispose();
  });
}

if (isMainThread) {
  main().catch((err: unknown) => {
    log(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  });
} else {
  runEngineWorker();
}
