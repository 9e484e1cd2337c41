/**
 * Entry point of the llm service container. Configuration comes from the environment the services
 * layer sets from the signed manifest (see ../README.md); nothing is fetched from the network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
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
import { admit, cgroupMemoryLimit, describeAdmission, modelNeeds, shapeFromMetadata } from './memory.js';

const log = createLog({
  name: 'llm',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});

/** `auto` tries CUDA when the GPU pass-through put an NVIDIA device node in the container. */
function chooseDevice(setting: string): { device: Device; deviceReason: string } {
  if (setting === 'cpu' || setting === 'cuda')
    return { device: setting, deviceReason: `LLM_DEVICE=${setting}` };
  if (setting !== 'auto') throw new Error(`LLM_DEVICE=${setting} must be auto, cpu or cuda`);
  return existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0')
    ? { device: 'cuda', deviceReason: 'an NVIDIA GPU was passed to the service' }
    : { device: 'cpu', deviceReason: 'no NVIDIA GPU was passed to the service' };
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

/**
 * Memory admission before loading: weights + KV cache + overhead from the GGUF metadata against the
 * container's memory limit. Refusing here, with both numbers and what to do, beats the kernel's
 * OOM killer in the middle of loading (which leaves only "exited 137" in the log).
 */
async function checkMemory(
  modelPath: string,
  context: number,
  parallel: number,
): Promise<{ needBytes: number; limitBytes: number | null }> {
  const gguf = await readGgufFileInfo(modelPath, { readTensorInfo: false, logWarnings: false });
  const meta = gguf.metadata as unknown as Record<string, unknown>;
  const trained = (
    meta[(meta.general as { architecture: string }).architecture] as { context_length?: number }
  )?.context_length;
  const ctx = Math.min(context, trained ?? context);
  const needs = modelNeeds(shapeFromMetadata(meta, (await stat(modelPath)).size), { context: ctx, parallel });
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  // LLM_MEMORY_LIMIT: the limit to check against where the cgroup's cannot be read (and in tests).
  const limit = process.env.LLM_MEMORY_LIMIT ? intFromEnv('LLM_MEMORY_LIMIT', 1) : cgroupMemoryLimit(read);
  if (limit === undefined) {
    log.startup(
      `memory: needs about ${Math.ceil(needs.total / 2 ** 20)} MiB; no memory limit to check against`,
    );
    return { needBytes: needs.total, limitBytes: null };
  }
  const a = admit(needs, limit, [], ctx);
  if (!a.ok) throw new Error(describeAdmission(a, needs));
  log.startup(describeAdmission(a, needs));
  return { needBytes: needs.total, limitBytes: limit };
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

  const modelPath = await ggufIn(folder, env.LLM_MODEL_FILE);
  const contextSize = intFromEnv('LLM_CONTEXT', 4096);
  const parallel = intFromEnv('LLM_PARALLEL', 1);
  const memory = await checkMemory(modelPath, contextSize, parallel);
  const engine = await Engine.load(
    {
      modelPath,
      name: model,
      // Verified above with the weights; the GGUF's own template when the package has none.
      chatTemplate: existsSync(join(folder, 'chat_template.jinja'))
        ? await readFile(join(folder, 'chat_template.jinja'), 'utf8')
        : undefined,
      ...chooseDevice(env.LLM_DEVICE ?? 'auto'),
      contextSize,
      parallel,
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
    memory,
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
