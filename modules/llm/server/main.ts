/**
 * Entry point of the llm service container. Configuration comes from the environment the services
 * layer sets from the signed manifest (see ../README.md); nothing is fetched from the network.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createLog,
  drainOnSignals,
  inferenceThreads,
  intFromEnv,
  parseFileHashes,
  verifyModelFiles,
} from '../../kit/server/index.js';
import { createApiServer } from './api.js';
import { type Device, Engine } from './engine.js';

const log = createLog({
  name: 'llm',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});

/** `auto` tries CUDA when the GPU pass-through put an NVIDIA device node in the container. */
function chooseDevice(setting: string): Device {
  if (setting === 'cpu' || setting === 'cuda') return setting;
  if (setting !== 'auto') throw new Error(`LLM_DEVICE=${setting} must be auto, cpu or cuda`);
  return existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0') ? 'cuda' : 'cpu';
}

async function readToken(path: string | undefined): Promise<string | undefined> {
  if (!path || !existsSync(path)) {
    log.startup(
      `no access token${path ? ` at ${path}` : ''}: any local client of the socket may use the API`,
    );
    return undefined;
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 16) throw new Error(`the access token in ${path} is shorter than 16 characters`);
  return token;
}

/** The one .gguf file of the model folder (LLM_MODEL_FILE names it when there are several). */
async function ggufIn(folder: string, named: string | undefined): Promise<string> {
  if (named) return join(folder, named);
  const ggufs = (await readdir(folder)).filter((f) => f.endsWith('.gguf'));
  if (ggufs.length !== 1)
    throw new Error(`${folder} holds ${ggufs.length} .gguf files; set LLM_MODEL_FILE to the one to serve`);
  return join(folder, ggufs[0]!);
}

async function main(): Promise<void> {
  const env = process.env;
  const socketPath = env.BLUEPRINT_SOCKET ?? env.LLM_SOCKET ?? '/run/llm/api.sock';
  const modelDir = env.LLM_MODEL_DIR ?? '/models';
  const model = env.LLM_MODEL;
  if (!model) throw new Error('LLM_MODEL (the model folder name under LLM_MODEL_DIR) is not set');
  const folder = join(modelDir, model);

  // Every file of the model folder is hashed before anything reads it; a changed, missing or
  // extra file stops the start, named in the log.
  if (env.LLM_VERIFY !== 'off') {
    const files = parseFileHashes(env.LLM_FILES, 'LLM_FILES');
    const count = await verifyModelFiles(files, env.LLM_FILES_ROOT ?? '/', folder);
    log.startup(`verified ${count} model files against the signed manifest`);
  } else {
    log.startup('WARNING: model file verification is off (LLM_VERIFY=off)');
  }

  const engine = await Engine.load(
    {
      modelPath: await ggufIn(folder, env.LLM_MODEL_FILE),
      name: model,
      device: chooseDevice(env.LLM_DEVICE ?? 'auto'),
      contextSize: intFromEnv('LLM_CONTEXT', 4096),
      parallel: intFromEnv('LLM_PARALLEL', 1),
      threads: intFromEnv('LLM_THREADS', inferenceThreads()),
      exactKvCache: env.LLM_KV_CACHE === 'f32',
    },
    (line) => log.startup(line),
  );
  const { info } = engine;
  const kit = createApiServer(engine, {
    log,
    token: await readToken(env.LLM_TOKEN_FILE),
    models: (env.LLM_MODELS ?? model).split(',').filter(Boolean),
    maxTokensCap: intFromEnv('LLM_MAX_TOKENS', info.contextLength),
    limits: {
      maxQueued: intFromEnv('LLM_MAX_QUEUE', 16),
      maxQueuedPerConnection: intFromEnv('LLM_MAX_QUEUE_PER_CONNECTION', 4),
      maxBodyBytes: intFromEnv('LLM_MAX_BODY_BYTES', 4 * 1024 * 1024),
      // A long generation is silent on a non-streamed request: the kit keeps connections with
      // running work, and a streamed one writes as it goes.
    },
  });
  await kit.listen(socketPath);
  log.startup(
    `serving ${info.model} (${info.quantisation}, ${info.parameters} parameters, context ${info.contextLength} of ${info.trainedContextLength} trained) on ${socketPath}`,
  );
  log.startup(
    `device: ${info.device} (${info.deviceReason}), ${info.gpuLayers} layers on the GPU, ${info.threads} threads, ${info.parallel} at once`,
  );
  const l = kit.limits;
  log.startup(
    `limits: ${l.maxConnections} connections, ${l.maxQueued} queued (${l.maxQueuedPerConnection} per connection), ${l.maxBodyBytes} bytes a body`,
  );
  drainOnSignals(kit, log, 7_000, async () => {
    log.flush();
    await unlink(socketPath).catch(() => undefined);
    await engine.dispose();
  });
}

main().catch((err: unknown) => {
  log(`cannot start: ${(err as Error).message}`);
  process.exit(1);
});
