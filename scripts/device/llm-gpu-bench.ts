/**
 * The llm service's engine on CUDA and on the CPU, one model after the other: which device it got
 * and why, the layers offloaded, prompt and generation tokens/s. Bundled by llm-gpu-prepare.ts
 * with node-llama-cpp's JavaScript, run by llm-gpu.sh on a machine with an NVIDIA GPU (or here,
 * where CUDA fails and says why). Prints one JSON object.
 *
 *   node bench.mjs APP_LLM_DIR MODEL.gguf [MODEL.gguf…]
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { missingLibraries } from '../../modules/llm/server/device.ts';
import { Engine } from '../../modules/llm/server/engine.ts';

const [app, ...models] = process.argv.slice(2);
if (!app || models.length === 0) {
  console.error('usage: node bench.mjs APP_LLM_DIR MODEL.gguf [MODEL.gguf…]');
  process.exit(2);
}
// node-llama-cpp's CUDA build as llm-gpu.sh laid it out: the primary backend (CUDA 13, the machine's
// runtime), or with LLM_GPU_CUDA=12 the -ext fallback with Debian's runtime beside it (the llm
// image's CUDA variant; the primary's backend is then absent and node-llama-cpp loads the fallback).
const bins = 'node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda';
const fallback = 'node_modules/@node-llama-cpp/linux-x64-cuda-ext/bins/linux-x64-cuda/fallback';
const cuda12 = process.env.LLM_GPU_CUDA === '12';
const build = {
  dir: app,
  cuda: cuda12 ? 12 : 13,
  backend: `${cuda12 ? fallback : bins}/libggml-cuda.so`,
  libraryDirs: cuda12 ? [bins, fallback] : [bins],
  runtime: cuda12 ? ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12'] : [],
  from: 'llm-gpu.sh',
  version: '',
};
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
const GENERATE = 128;

async function run(device: 'cuda' | 'cpu', modelPath: string) {
  const log: string[] = [];
  const backend = await Engine.backend(
    { device, deviceReason: `llm-gpu.sh asked for ${device}` },
    (l) => log.push(l),
    { missing: () => missingLibraries(build) },
  );
  const engine = await Engine.load(
    {
      modelPath,
      name: basename(modelPath),
      device: backend.device,
      deviceReason: backend.deviceReason,
      contextSize: 2048,
      parallel: 1,
      threads: availableParallelism(),
    },
    (l) => log.push(l),
    backend,
  );
  const sampling = { maxTokens: GENERATE, temperature: 0, stop: [] };
  // One short warm-up (CUDA's kernels load and the graphs are built on first use).
  await engine.complete('Hello', { ...sampling, maxTokens: 4 }, new AbortController().signal);
  // 512 prompt tokens, or what the model's context leaves beside the generated ones (tiny-llama: 256).
  const room = Math.min(512, engine.info.contextLength - GENERATE - 8);
  const prompt = engine.detokenize(engine.tokenize(TEXT).slice(0, room));
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  const g = await engine.complete(prompt, sampling, new AbortController().signal, () => {
    last = performance.now();
    if (!first) first = last;
  });
  const result = {
    model: basename(modelPath),
    asked: device,
    device: engine.info.device,
    deviceReason: engine.info.deviceReason,
    gpuLayers: engine.info.gpuLayers,
    gpuNames: backend.device === 'cuda' ? await backend.llama.getGpuDeviceNames() : [],
    threads: engine.info.threads,
    promptTokens: g.promptTokens,
    timeToFirstTokenMs: Math.round(first - t0),
    promptTokensPerSecond: Math.round((g.promptTokens / (first - t0)) * 1000),
    completionTokens: g.completionTokens,
    generationTokensPerSecond:
      g.completionTokens > 1
        ? Math.round(((g.completionTokens - 1) / (last - first)) * 1000 * 10) / 10
        : null,
    log,
  };
  await engine.dispose();
  await backend.llama.dispose();
  return result;
}

const runs: Awaited<ReturnType<typeof run>>[] = [];
for (const m of models) for (const d of ['cuda', 'cpu'] as const) runs.push(await run(d, m));
const speedups = models.map((m) => {
  const [gpu, cpu] = runs.filter((r) => r.model === basename(m));
  return {
    model: basename(m),
    onCuda: gpu?.device === 'cuda',
    generation:
      gpu?.generationTokensPerSecond && cpu?.generationTokensPerSecond
        ? Math.round((gpu.generationTokensPerSecond / cpu.generationTokensPerSecond) * 100) / 100
        : null,
    prompt:
      gpu && cpu ? Math.round((gpu.promptTokensPerSecond / cpu.promptTokensPerSecond) * 100) / 100 : null,
  };
});
console.log(JSON.stringify({ runs, speedups }, null, 2));
