/**
 * Entry point of the embeddings service container. Configuration comes from the environment the
 * services layer sets (see ../README.md); nothing is fetched from the network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Device } from './engine.js';
import { createApiServer, listenOnSocket } from './http.js';
import { parseFileHashes, verifyModelFiles } from './verify.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} embeddings: ${line}\n`);

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}=${raw} must be a positive integer`);
  return v;
}

/**
 * `auto` tries CUDA when the GPU pass-through put an NVIDIA device node in the container (the
 * engine then falls back to CPU, with the reason logged, if the CUDA provider cannot load).
 */
function chooseDevice(setting: string): Device {
  if (setting === 'cpu' || setting === 'cuda') return setting;
  if (setting !== 'auto') throw new Error(`EMBEDDINGS_DEVICE=${setting} must be auto, cpu or cuda`);
  return existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0') ? 'cuda' : 'cpu';
}

/**
 * ONNX Runtime sizes its thread pool from the cores it sees, not from the container's CPU quota:
 * 16 threads under a 2-CPU quota spend their time throttled. Read the quota (cgroup v2 or v1).
 */
function cpuQuota(): number | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max')?.split(' ');
  const [quota, period] = v2 ?? [
    read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
    read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
  ];
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined; // "max" or -1: no quota
  return Math.max(1, Math.ceil(q / p));
}

/** The token file is optional: without it every local client may use the API (logged). */
async function readToken(path: string | undefined): Promise<string | undefined> {
  if (!path || !existsSync(path)) {
    log(`no access token${path ? ` at ${path}` : ''}: any local client of the socket may use the API`);
    return undefined;
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 16) throw new Error(`the access token in ${path} is shorter than 16 characters`);
  return token;
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
    log(`verified ${count} model files against the signed manifest`);
  } else {
    log('WARNING: model file verification is off (EMBEDDINGS_VERIFY=off)');
  }

  const threads = intFromEnv(
    'EMBEDDINGS_THREADS',
    Math.min(cpuQuota() ?? availableParallelism(), availableParallelism()),
  );
  const engine = await createEngine({
    modelDir,
    model,
    device,
    maxTokens: env.EMBEDDINGS_MAX_TOKENS ? intFromEnv('EMBEDDINGS_MAX_TOKENS', 0) : undefined,
    threads,
    log,
  });
  const server = createApiServer(engine, {
    maxBatch: intFromEnv('EMBEDDINGS_MAX_BATCH', 64),
    maxBodyBytes: intFromEnv('EMBEDDINGS_MAX_BODY_BYTES', 4 * 1024 * 1024),
    maxQueue: intFromEnv('EMBEDDINGS_MAX_QUEUE', 32),
    token: await readToken(env.EMBEDDINGS_TOKEN_FILE),
    log,
  });
  await listenOnSocket(server, socketPath);
  const { info } = engine;
  log(`serving ${info.model} (dimension ${info.dimension}, max ${info.maxTokens} tokens) on ${socketPath}`);
  log(`device: ${info.device} (${info.deviceReason}), ${threads} inference threads`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: the admin wants it gone now
    stopping = true;
    log(`${signal}: finishing open requests`);
    server.close(() => {
      unlink(socketPath)
        .catch(() => undefined)
        .then(() => engine.dispose())
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log(`cannot start: ${(err as Error).message}`);
  process.exit(1);
});
