/**
 * The CUDA variant of the llm image (`package.ts --cuda`): node-llama-cpp's CUDA prebuilt and the
 * CUDA runtime libraries it links, next to the CPU build. Build-time only.
 *
 * What the prebuilt needs at run time (read with ldd/readelf from the 3.21.1 packages):
 * - `@node-llama-cpp/linux-x64-cuda` (181 MB): llama-addon.node, libllama/libggml (no CUDA
 *   dependency of their own) and bins/linux-x64-cuda/libggml-cuda.so (159 MB), built against
 *   CUDA 13: it needs libcudart.so.13, libcublas.so.13 (which needs libcublasLt.so.13) and the
 *   driver's libcuda.so.1. It ships none of them.
 * - `@node-llama-cpp/linux-x64-cuda-ext` (357 MB): only bins/linux-x64-cuda/fallback/libggml-cuda.so,
 *   the same backend built against CUDA 12 (libcudart.so.12, libcublas.so.12, libcuda.so.1).
 *   node-llama-cpp loads llama.cpp's backends at run time (GGML_BACKEND_DL) and tries the
 *   fallback when the first cannot be loaded.
 * - libcuda.so.1 belongs to the kernel driver and must match it: it comes from the host through
 *   the CDI spec (a bind mount of libcuda.so.VERSION, linked by the spec's update-ldcache hook),
 *   never from the image. The CUDA runtime (cudart, cuBLAS) is not in the spec: the image ships it.
 * - No npm package ships cuDART/cuBLAS. Debian bookworm has CUDA 11.8 only; Debian trixie's
 *   non-free has CUDA 12.4 (libcudart12, libcublas12, libcublaslt12: 230 MB of .deb, 550 MB
 *   unpacked), which resolves every CUDA symbol the CUDA 12 fallback imports (70, checked with
 *   nm). scripts/device/cuda-runtime-debian.sh fetches and unpacks them into a folder (on the
 *   build machine, no network from any container); `--cuda-libs DIR` takes them from there. A
 *   CUDA 13 runtime (NVIDIA's toolkit) can be given the same way; it is preferred when complete,
 *   as the primary build is the newer one. But that build was compiled with CUDA 13.1 and needs a
 *   driver of 590 or later: on an H200 with driver 580 it aborted at the first decode (README,
 *   "Verified on a GPU"), where the CUDA 12 build with Debian's runtime ran.
 *
 * The runtime libraries go next to the backend that links them (its RUNPATH is $ORIGIN, and
 * cuBLAS finds cuBLASLt by its own $ORIGIN), so nothing depends on the loader's search path; the
 * backend that this runtime cannot serve is left out (159 or 357 MB saved).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { nodeModules, putter } from '../kit/image.ts';
import type { CudaBuildInfo } from './server/device.ts';

const CUDA = '@node-llama-cpp/linux-x64-cuda';
const EXT = '@node-llama-cpp/linux-x64-cuda-ext';
const PRIMARY_BINS = join(nodeModules, CUDA, 'bins/linux-x64-cuda');
const FALLBACK_BINS = join(nodeModules, EXT, 'bins/linux-x64-cuda/fallback');
const BACKENDS = [
  { cuda: 13, backend: join(PRIMARY_BINS, 'libggml-cuda.so') },
  { cuda: 12, backend: join(FALLBACK_BINS, 'libggml-cuda.so') },
] as const;

/** CUDA's runtime libraries (the image ships them); the driver's (libcuda, libnvidia-*) come from the host. */
const isRuntime = (soname: string) => /^lib(cudart|cublas|cublasLt)\.so\.\d+$/.test(soname);
const isDriver = (soname: string) => /^lib(cuda|nvidia-[\w-]+)\.so\.\d+$/.test(soname);

/**
 * A library's dependencies as the loader resolves them with `dirs` searched first: soname → path,
 * or null when not found. The loader's trace mode (what ldd does) lists them all without running
 * anything, where `ld.so --list` stops at the first missing one.
 */
export function resolveDependencies(lib: string, dirs: string[]): Map<string, string | null> {
  const r = spawnSync('/lib64/ld-linux-x86-64.so.2', [lib], {
    env: { LD_TRACE_LOADED_OBJECTS: '1', LD_LIBRARY_PATH: dirs.join(':') },
    encoding: 'utf8',
  });
  const deps = new Map<string, string | null>();
  for (const m of r.stdout.matchAll(/^\s*(\S+) => (?:not found|(\/\S+) \(0x)/gm))
    deps.set(m[1]!, m[2] ?? null);
  return deps;
}

export interface CudaRuntime {
  cuda: 12 | 13;
  /** The libggml-cuda.so it serves, in node_modules. */
  backend: string;
  /** soname → the file on this machine. */
  libraries: Map<string, string>;
}

/**
 * The complete CUDA runtime for one of the two backends, from `libs` (a folder) or else from this
 * machine's own libraries; CUDA 13 first. Throws, naming what each lacks, when neither is complete.
 */
export function findCudaRuntime(libs?: string): CudaRuntime {
  const lacking: string[] = [];
  for (const { cuda, backend } of BACKENDS) {
    if (!existsSync(backend)) {
      lacking.push(`CUDA ${cuda}: ${relative(nodeModules, backend)} is not installed`);
      continue;
    }
    // The primary's folder too, for libggml-base.so, which the fallback finds there at run time.
    const deps = resolveDependencies(backend, [...(libs ? [libs] : []), PRIMARY_BINS]);
    const runtime = [...deps].filter(([name]) => isRuntime(name));
    const missing = runtime.filter(([, path]) => !path).map(([name]) => name);
    if (missing.length === 0) return { cuda, backend, libraries: new Map(runtime as [string, string][]) };
    lacking.push(`CUDA ${cuda} lacks ${missing.join(', ')}`);
  }
  throw new Error(
    `no complete CUDA runtime ${libs ? `in ${libs}` : 'on this machine'} (${lacking.join('; ')}). ` +
      `Fetch Debian's CUDA 12.4 runtime with scripts/device/cuda-runtime-debian.sh DIR, then give --cuda-libs DIR`,
  );
}

/**
 * The oldest driver (major version) of each CUDA toolkit, from NVIDIA's release notes (CUDA
 * Toolkit and Corresponding Driver Versions, Linux): kernels left as PTX are compiled by the
 * driver, which cannot read PTX from a newer toolkit than its own.
 */
const MIN_DRIVER: Record<string, number> = {
  '12.0': 525,
  '12.1': 530,
  '12.2': 535,
  '12.3': 545,
  '12.4': 550,
  '12.5': 555,
  '12.6': 560,
  '12.8': 570,
  '12.9': 575,
  '13.0': 580,
  '13.1': 590,
};

/**
 * The toolkit a CUDA backend was compiled with, from nvcc's `Cuda compilation tools, release X.Y`
 * in it (the CUDA 13 prebuilt has it; the CUDA 12 fallback does not: then nothing is claimed).
 */
export function cudaToolkitOf(backend: string): { toolkit?: string; minDriver?: number } {
  const fd = openSync(backend, 'r');
  try {
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    let carry = '';
    for (let at = 0; ; ) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n === 0) return {};
      at += n;
      const text = carry + chunk.toString('latin1', 0, n);
      const m = /Cuda compilation tools, release (\d+\.\d+)/.exec(text);
      if (m) {
        const toolkit = m[1]!;
        return MIN_DRIVER[toolkit] ? { toolkit, minDriver: MIN_DRIVER[toolkit] } : { toolkit };
      }
      carry = text.slice(-64);
    }
  } finally {
    closeSync(fd);
  }
}

/** Where the runtime came from, for cuda.json: the folder's SOURCE line (the Debian script writes one). */
function sourceOf(libs: string | undefined, r: CudaRuntime): string {
  const source = libs && join(libs, 'SOURCE');
  if (source && existsSync(source)) return readFileSync(source, 'utf8').trim();
  return [...r.libraries.values()].join(', ');
}

/**
 * Puts the CUDA build into the image root beside the CPU one (package.ts has placed that) and
 * writes /app/llm/cuda.json, which the server reads to know it may try CUDA (server/device.ts).
 */
export function placeCudaBuild(rootfs: string, libs?: string): CudaBuildInfo {
  const r = findCudaRuntime(libs);
  const app = join(rootfs, 'app/llm');
  const into = (pkg: string) => join(app, 'node_modules', pkg);
  const unused = r.cuda === 12 ? join(PRIMARY_BINS, 'libggml-cuda.so') : undefined;
  cpSync(join(nodeModules, CUDA), into(CUDA), {
    recursive: true,
    dereference: true,
    filter: (src) => src !== unused,
  });
  if (r.cuda === 12) cpSync(join(nodeModules, EXT), into(EXT), { recursive: true, dereference: true });
  const backend = join(app, 'node_modules', relative(nodeModules, r.backend));
  for (const [soname, path] of r.libraries) copyFileSync(realpathSync(path), join(dirname(backend), soname));

  // The system libraries these load beyond Node's and the CPU build's (librt, libdl…), at the
  // paths this Debian host has them, as putNodeRuntime does.
  const put = putter(rootfs);
  const natives = [
    r.backend,
    ...[...r.libraries.keys()].map((s) => join(dirname(backend), s)),
    ...['llama-addon.node', 'libllama-common.so'].map((f) => join(PRIMARY_BINS, f)),
  ];
  for (const lib of natives)
    for (const [soname, path] of resolveDependencies(lib, [dirname(backend), PRIMARY_BINS]))
      if (path && !isRuntime(soname) && !isDriver(soname) && !path.startsWith(nodeModules))
        if (!path.startsWith(rootfs) && !existsSync(join(rootfs, path))) put(path, path);
  // The CDI spec's update-ldcache hook writes /etc/ld.so.cache and /etc/ld.so.conf.d/ into the
  // container before it starts (the root is made read-only after); give it the folder.
  mkdirSync(join(rootfs, 'etc/ld.so.conf.d'), { recursive: true });

  const { version } = JSON.parse(readFileSync(join(nodeModules, CUDA, 'package.json'), 'utf8')) as {
    version: string;
  };
  const rel = (p: string) => relative(app, p);
  const info: CudaBuildInfo = {
    cuda: r.cuda,
    backend: rel(backend),
    libraryDirs: [...new Set([rel(join(into(CUDA), 'bins/linux-x64-cuda')), rel(dirname(backend))])],
    runtime: [...r.libraries.keys()],
    from: sourceOf(libs, r),
    version,
    ...cudaToolkitOf(r.backend),
  };
  writeFileSync(join(app, 'cuda.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** The runtime's file names, for the line package.ts prints. */
export const describeCuda = (i: CudaBuildInfo) =>
  `CUDA ${i.cuda} build (${i.runtime.join(', ')} from ${i.from}; ${basename(i.backend)})`;
