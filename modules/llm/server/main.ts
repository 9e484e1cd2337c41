/**
 * Entry point of the llm service container. Configuration comes from the environment the services
 * layer sets from the signed manifest (see ../README.md); nothing is fetched from the network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  createLog,
  drainOnSignals,
  inferenceThreads,
  intFromEnv,
  readAccessToken,
  routeConsole,
  verifyModelFiles,
} from '../../kit/server/index.js';
import { createApiServer, MAX_PROMPT_CHARS } from './api.js';
import { chooseDevice, missingLibraries, probeDevice } from './device.js';
import { MAX_EMBED_CHARS, MAX_EMBED_INPUTS } from './embed-api.js';
import { Engine } from './engine.js';
import { type EstimateOptions, embeddingBytes, estimateNeeds, estimateSource } from './estimate.js';
import { readHeader } from './gguf-header.js';
import { admit, cgroupMemoryLimit, describeAdmission, RUNTIME_BYTES } from './memory.js';
import { keepAliveMs, ModelPool } from './model-pool.js';
import { type ModelSource, modelSources, orderByDefault } from './models.js';

const log = createLog({
  name: 'llm',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});
// node-llama-cpp prints a client's JSON schema text ("$ref") with console.warn.
routeConsole(log);

/** The admin's choice of default model: one line in the module's data folder (like the token). */
async function readDefaultModel(path: string | undefined): Promise<string | undefined> {
  if (!path || !existsSync(path)) return undefined;
  const name = (await readFile(path, 'utf8')).trim();
  return name || undefined;
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
 * Memory admission before loading: weights + KV cache + overhead of each model served, from the
 * GGUF metadata, against the container's memory limit. The default is loaded at start and must fit
 * (refusing here, with both numbers and what to do, beats the kernel's OOM killer in the middle of
 * loading, which leaves only "exited 137"); the others load on demand within the same limit
 * (model-pool.ts), a model that can never fit is named here and is a 503 when asked for.
 */
async function checkMemory(
  models: ModelSource[],
  modelPaths: string[],
  o: EstimateOptions,
): Promise<{ needBytes: number; limitBytes: number | null; each: number[] }> {
  const context = o.context;
  // One estimate for the start, the pool and the manifest's limit (estimate.ts): whose is said.
  const each = await Promise.all(modelPaths.map((p) => estimateNeeds(p, o)));
  for (const [i, e] of each.entries()) log.startup(`memory of ${models[i]!.id}: ${estimateSource(e)}`);
  const needs = each[0]!;
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  // LLM_MEMORY_LIMIT: the limit to check against where the cgroup's cannot be read (and in tests).
  const limit = process.env.LLM_MEMORY_LIMIT ? intFromEnv('LLM_MEMORY_LIMIT', 1) : cgroupMemoryLimit(read);
  const totals = each.map((n) => n.total);
  if (limit === undefined) {
    log.startup(
      `memory: the default model needs about ${Math.ceil(needs.total / 2 ** 20)} MiB; no memory limit to check against`,
    );
    return { needBytes: needs.total, limitBytes: null, each: totals };
  }
  const a = admit(needs, limit, [], context);
  if (!a.ok) throw new Error(describeAdmission(a, needs));
  log.startup(describeAdmission(a, needs));
  for (const [i, n] of each.entries()) {
    const other = admit(n, limit, [], context);
    if (i > 0 && !other.ok)
      log.startup(`model ${models[i]!.id} cannot load here: ${describeAdmission(other, n)}`);
  }
  return { needBytes: needs.total, limitBytes: limit, each: totals };
}

/**
 * Every file of each model folder is hashed before anything reads it; a changed, missing or extra
 * file stops the start, named in the log (the kit's verifyModelFiles).
 */
async function verify(models: ModelSource[], filesRoot: string): Promise<void> {
  for (const m of models) {
    const count = await verifyModelFiles(m.files!, filesRoot, m.dir);
    log.startup(`verified ${count} model files of ${m.id} against its signed package (${m.from})`);
  }
}

/**
 * A model llama.cpp refused (an architecture it does not know, a damaged file): named, with what to
 * do. Its own error ("Failed to load model") named none of the models served, and the line before
 * it (llama.cpp's reason) is in the log already.
 */
function notLoaded(m: ModelSource, err: unknown): Error {
  const what =
    m.from === 'the llm package'
      ? 'install an llm package with another model'
      : `remove it (\`blueprint model rm ${m.id}\`) and restart the service`;
  return new Error(
    `model ${m.id} (${m.from}) did not load: ${(err as Error).message} (llama.cpp's reason is the line before: an architecture this llm's llama.cpp does not know, or a damaged file); ${what}`,
  );
}

async function main(): Promise<void> {
  const env = process.env;
  const socketPath = env.BLUEPRINT_SOCKET ?? env.LLM_SOCKET ?? '/run/llm/api.sock';
  const verifying = env.LLM_VERIFY !== 'off';
  const chosen = orderByDefault(
    modelSources(env, verifying),
    await readDefaultModel(env.LLM_DEFAULT_MODEL_FILE),
    env.LLM_MODEL,
  );
  if (chosen.warning) log.startup(chosen.warning);
  const models = chosen.models;
  if (verifying) await verify(models, env.LLM_FILES_ROOT ?? '/');
  else log.startup('WARNING: model file verification is off (LLM_VERIFY=off)');

  // LLM_MODEL_FILE: the one to serve of a built-in model folder with several .gguf files.
  const paths = await Promise.all(
    models.map((m) => ggufIn(m.dir, m.from === 'the llm package' ? env.LLM_MODEL_FILE : undefined)),
  );
  const contextSize = intFromEnv('LLM_CONTEXT', 4096);
  const parallel = intFromEnv('LLM_PARALLEL', 1);
  const startupLog = (line: string) => log.startup(line);
  // What the container was given (GPU nodes, driver library) and what the image holds (cuda.json
  // next to dist/, written by package.ts --cuda only): device.ts.
  const probe = probeDevice('/', join(import.meta.dirname, '../cuda.json'));
  const choice = chooseDevice(env.LLM_DEVICE ?? 'auto', probe);
  const build = probe.cudaBuild;
  if (build)
    log.startup(
      `CUDA build: node-llama-cpp ${build.version} for CUDA ${build.cuda}, with ${build.runtime.join(', ')} (${build.from})`,
    );
  const backend = await Engine.backend({ device: choice.device, deviceReason: choice.reason }, startupLog, {
    missing: build ? () => missingLibraries(build) : undefined,
  });
  // Estimated with this llama (node-llama-cpp's insights would otherwise load a second, CPU-only
  // binding into the process beside a CUDA one).
  const sizing: EstimateOptions = {
    context: contextSize,
    parallel,
    exactKvCache: env.LLM_KV_CACHE === 'f32',
    llama: backend.llama,
  };
  const { each: needBytes, ...memory } = await checkMemory(models, paths, sizing);
  // Each model's embedding context, admitted by the pool at its first embedding request.
  const embedBytes = await Promise.all(paths.map((p) => embeddingBytes(p, sizing)));
  // LLM_GPU_LAYERS: auto (as many as fit in the GPU's memory), max, or a number.
  const layers = env.LLM_GPU_LAYERS;
  const gpuLayers =
    !layers || layers === 'auto' || layers === 'max'
      ? (layers as 'max' | 'auto' | undefined)
      : intFromEnv('LLM_GPU_LAYERS', 1);
  const threads = intFromEnv('LLM_THREADS', inferenceThreads());
  // The most characters tokenised on the event loop, whatever LLM_CONTEXT (engine.ts).
  const maxPromptChars = intFromEnv('LLM_MAX_PROMPT_CHARS', MAX_PROMPT_CHARS);
  // LLM_KEEP_ALIVE: how long a model other than the default stays loaded idle (Ollama's format).
  const keepAlive = keepAliveMs(env.LLM_KEEP_ALIVE ?? '5m');
  if (keepAlive === undefined)
    throw new Error(`LLM_KEEP_ALIVE is '${env.LLM_KEEP_ALIVE}': set a duration such as 5m, 1h, 0 or -1`);
  // Each package's chat template, read once (verified at start with the weights): /api/show says
  // it before a load, and the load uses the same text. The GGUF's own when the package has none.
  const templates = await Promise.all(
    models.map((m) => {
      const file = join(m.dir, 'chat_template.jinja');
      return existsSync(file) ? readFile(file, 'utf8') : undefined;
    }),
  );
  const loader = (m: ModelSource, i: number) => async (signal: AbortSignal) => {
    return Engine.load(
      {
        modelPath: paths[i]!,
        name: m.id,
        chatTemplate: templates[i],
        loadSignal: signal,
        device: backend.device,
        deviceReason: backend.deviceReason,
        contextSize,
        parallel,
        threads,
        gpuLayers,
        exactKvCache: env.LLM_KV_CACHE === 'f32',
        maxPromptChars,
      },
      startupLog,
      backend,
    ).catch((err: unknown) => {
      throw notLoaded(m, err);
    });
  };
  const pool = new ModelPool(
    await Promise.all(
      models.map(async (m, i) => ({
        id: m.id,
        load: loader(m, i),
        needBytes: needBytes[i],
        embedBytes: embedBytes[i],
        header: await readHeader(paths[i]!, {
          contextSize,
          chatTemplate: templates[i],
          llama: backend.llama,
        }),
      })),
    ),
    {
      keepAliveMs: keepAlive,
      limitBytes: memory.limitBytes,
      runtimeBytes: RUNTIME_BYTES,
      log: (key, line) => log.event(key, line),
    },
  );
  // The default at start, so that a started service can answer (and a model that cannot load
  // stops the start); the others at their first request.
  const engine = await pool.start();
  // Ollama's /api/tags and /api/ps: each GGUF's signed SHA-256 and its file's time.
  const facts = Object.fromEntries(
    await Promise.all(
      models.map(async (m, i) => {
        const file = basename(paths[i]!);
        const digest = Object.entries(m.files ?? {}).find(([p]) => basename(p) === file)?.[1];
        const st = await stat(paths[i]!);
        return [m.id, { digest, modifiedAt: st.mtime.toISOString(), sizeBytes: st.size }] as const;
      }),
    ),
  );
  const generationTimeoutS = intFromEnv('LLM_GENERATION_TIMEOUT_S', 300);
  const { info } = engine;
  const kit = createApiServer(pool, {
    log,
    token: await readAccessToken(env.LLM_TOKEN_FILE, log),
    memory,
    facts,
    maxTokensCap: intFromEnv('LLM_MAX_TOKENS', info.contextLength),
    // The longest one generation holds a slot while every other client waits (README: Deadline).
    generationTimeoutS,
    maxPromptChars,
    // What one embedding request may hold (embed-api.ts).
    embedLimits: {
      maxInputs: intFromEnv('LLM_MAX_EMBED_INPUTS', MAX_EMBED_INPUTS),
      maxChars: intFromEnv('LLM_MAX_EMBED_CHARS', MAX_EMBED_CHARS),
    },
    limits: {
      maxQueued: intFromEnv('LLM_MAX_QUEUE', 16),
      maxQueuedPerConnection: intFromEnv('LLM_MAX_QUEUE_PER_CONNECTION', 4),
      maxBodyBytes: intFromEnv('LLM_MAX_BODY_BYTES', 4 * 1024 * 1024),
      // Named in the 413: the admin raises it with `blueprint service config llm LLM_MAX_BODY_BYTES=…`.
      maxBodySetting: 'LLM_MAX_BODY_BYTES',
      // A long generation is silent on a non-streamed request: the kit keeps connections with
      // running work, and a streamed one writes as it goes.
    },
  });
  await kit.listen(socketPath);
  const m = info;
  log.startup(
    `serving ${m.model} (${m.quantisation}, ${m.parameters} parameters, context ${m.contextLength} of ${m.trainedContextLength} trained) on ${socketPath}${
      models.length > 1
        ? `, the default; also ${models
            .slice(1)
            .map((x) => x.id)
            .join(
              ', ',
            )}, each loaded at its first request and kept ${keepAlive < 0 ? 'while the service runs' : `${keepAlive / 1000} s idle`} (LLM_KEEP_ALIVE)`
        : ''
    }`,
  );
  log.startup(
    `device: ${info.device} (${info.deviceReason}), ${info.gpuLayers} layers on the GPU, ${info.threads} threads, ${info.parallel} at once`,
  );
  const l = kit.limits;
  log.startup(
    `limits: ${l.maxConnections} connections, ${l.maxQueued} queued (${l.maxQueuedPerConnection} per connection), ${l.maxBodyBytes} bytes a body, ${generationTimeoutS} s a generation`,
  );
  // A stop does not wait for a model's load (minutes for a large one read whole): it is aborted
  // at once, its requests answered 503; generations under way are drained as before.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => pool.stopLoading());
  drainOnSignals(kit, log, 7_000, async () => {
    log.flush();
    await unlink(socketPath).catch(() => undefined);
    await pool.dispose();
    await backend.llama.dispose();
  });
}

main().catch((err: unknown) => {
  log(`cannot start: ${(err as Error).message}`);
  process.exit(1);
});
