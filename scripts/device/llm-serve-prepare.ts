/**
 * For `sh scripts/device/llm-gpu.sh serve` (after `prepare --cuda-libs DIR`): the llm service's own
 * bundle (dist/server.mjs and its template-child.mjs) and the cuda.json that `package.ts --cuda`
 * would write for the CUDA 12 build laid out as llm-gpu.sh lays it out, in .llm-gpu/serve
 * (~6 MiB: carried with the last piece).
 *
 *   node scripts/device/llm-serve-prepare.ts CUDA_LIBS_DIR
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cudaToolkitOf } from '../../modules/llm/cuda.ts';
import { bundleServer } from '../../modules/llm/package.ts';

const repo = resolve(import.meta.dirname, '../..');
const libs = process.argv[2];
if (!libs) {
  console.error('usage: node scripts/device/llm-serve-prepare.ts CUDA_LIBS_DIR');
  process.exit(2);
}
const out = join(repo, '.llm-gpu/serve');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await bundleServer(join(out, 'dist/server.mjs'));
const bins = 'node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda';
const fallback = 'node_modules/@node-llama-cpp/linux-x64-cuda-ext/bins/linux-x64-cuda/fallback';
const source = join(libs, 'SOURCE');
const { version } = JSON.parse(
  readFileSync(join(repo, 'node_modules/@node-llama-cpp/linux-x64-cuda/package.json'), 'utf8'),
) as { version: string };
const info = {
  cuda: 12,
  backend: `${fallback}/libggml-cuda.so`,
  libraryDirs: [bins, fallback],
  runtime: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12'],
  from: existsSync(source) ? readFileSync(source, 'utf8').trim() : libs,
  version,
  ...cudaToolkitOf(join(repo, fallback, 'libggml-cuda.so')),
};
writeFileSync(join(out, 'cuda.json'), `${JSON.stringify(info, null, 2)}\n`);
console.log(
  `.llm-gpu/serve: dist/server.mjs, dist/template-child.mjs, cuda.json (${JSON.stringify(info.runtime)})`,
);
