/**
 * Which device the llm service runs on, and why (GET /info's `device` and `deviceReason`).
 *
 * The services layer passes an NVIDIA GPU through with CDI: the spec adds the device nodes
 * (/dev/nvidiactl, /dev/nvidia0…, /dev/nvidia-uvm) and bind-mounts the driver's user-space
 * libraries at their host paths (libcuda.so.VERSION, linked as libcuda.so.1 by the spec's
 * update-ldcache hook). What the container can see is therefore the whole question: the decision is
 * a pure function of what `probeDevice` read (tested with fixture roots, test/fixtures/gpu/llm-*),
 * then of how node-llama-cpp's CUDA build fared (`settleDevice`).
 *
 * The CUDA build exists only in the image made with `package.ts --cuda`, which writes
 * /app/llm/cuda.json (CudaBuildInfo); the default image is CPU-only, and says so when a GPU was
 * passed to it anyway.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Device = 'cpu' | 'cuda';

/** What `package.ts --cuda` put in the image (written to /app/llm/cuda.json). */
export interface CudaBuildInfo {
  /** CUDA major version of the runtime libraries shipped: 12 (Debian's 12.4) or 13. */
  cuda: number;
  /** node-llama-cpp's libggml-cuda.so for that runtime, relative to the cuda.json folder. */
  backend: string;
  /** Folders, relative to the cuda.json folder, the backend's own libraries are found in. */
  libraryDirs: string[];
  /** The CUDA runtime libraries shipped beside the backend (libcudart.so.12, libcublas.so.12…). */
  runtime: string[];
  /** Where they came from (a folder, the Debian packages), as told to package.ts. */
  from: string;
  /** node-llama-cpp's version of the build. */
  version: string;
  /** The CUDA toolkit the backend was compiled with, when the backend names it (cuda.ts). */
  toolkit?: string;
  /** The oldest NVIDIA driver (its major version) that runs kernels of that toolkit. */
  minDriver?: number;
}

export interface DeviceProbe {
  /** NVIDIA device nodes in the container: what a CDI spec's deviceNodes add. */
  nvidiaNodes: string[];
  /** The driver library as the spec mounts it: libcuda.so.1 (its path), and any versioned file. */
  driver: { soname?: string; versioned: string[] };
  /** The CUDA build in this image (cuda.json), with the folder that file is in; none in the CPU image. */
  cudaBuild?: CudaBuildInfo & { dir: string };
}

/** Where a CDI spec mounts the driver's libraries (the host's own folders: Debian/Ubuntu, then RHEL). */
export const DRIVER_DIRS = [
  'usr/lib/x86_64-linux-gnu',
  'lib/x86_64-linux-gnu',
  'usr/lib64',
  'lib64',
  'usr/lib',
];

/** Reads what the container under `root` was given; `cudaInfo` is the image's cuda.json. */
export function probeDevice(root: string, cudaInfo: string): DeviceProbe {
  const list = (dir: string) => {
    try {
      return readdirSync(join(root, dir));
    } catch {
      return [];
    }
  };
  const nvidiaNodes = list('dev')
    .filter((n) => /^nvidia(ctl|\d+)$/.test(n))
    .sort()
    .map((n) => `/dev/${n}`);
  const driver: DeviceProbe['driver'] = { versioned: [] };
  for (const dir of DRIVER_DIRS) {
    for (const f of list(dir)) {
      if (f === 'libcuda.so.1' && !driver.soname && existsSync(join(root, dir, f)))
        driver.soname = `/${dir}/${f}`;
      else if (/^libcuda\.so\.\d+\.\d+/.test(f)) driver.versioned.push(`/${dir}/${f}`);
    }
  }
  let cudaBuild: DeviceProbe['cudaBuild'];
  if (existsSync(cudaInfo))
    cudaBuild = { ...(JSON.parse(readFileSync(cudaInfo, 'utf8')) as CudaBuildInfo), dir: dirname(cudaInfo) };
  return { nvidiaNodes, driver, ...(cudaBuild ? { cudaBuild } : {}) };
}

/** The driver's version, from the name of the library the CDI spec mounts (libcuda.so.580.159.04). */
function driverVersion(versioned: string[]): string | undefined {
  for (const f of versioned) {
    const v = /libcuda\.so\.(\d+(?:\.\d+)+)$/.exec(f)?.[1];
    if (v) return v;
  }
  return undefined;
}

export interface DeviceChoice {
  /** `cuda`: try the CUDA build (settleDevice says what came of it). */
  device: Device;
  reason: string;
}

export const NO_GPU = 'no GPU passed through';
export const CPU_IMAGE =
  'this llm image has only the CPU build: install the CUDA variant of the llm package (made with modules/llm/package.ts --cuda)';

/** LLM_DEVICE (`auto`, `cpu`, `cuda`) and what the container was given → the device to try. */
export function chooseDevice(setting: string, p: DeviceProbe): DeviceChoice {
  const cpu = (reason: string): DeviceChoice => ({ device: 'cpu', reason });
  if (setting === 'cpu') return cpu('LLM_DEVICE=cpu');
  if (setting !== 'auto' && setting !== 'cuda')
    throw new Error(`LLM_DEVICE=${setting} must be auto, cpu or cuda`);
  const gpu = p.nvidiaNodes.length > 0;
  if (!p.cudaBuild) {
    if (gpu) return cpu(`an NVIDIA GPU was passed through (${p.nvidiaNodes.join(', ')}), but ${CPU_IMAGE}`);
    return cpu(setting === 'cuda' ? `LLM_DEVICE=cuda, but ${CPU_IMAGE}` : NO_GPU);
  }
  // LLM_DEVICE=cuda tries whatever the probe saw: what failed is then node-llama-cpp's to say.
  if (setting === 'cuda') return { device: 'cuda', reason: 'LLM_DEVICE=cuda' };
  if (!gpu) return cpu(NO_GPU);
  if (!p.driver.soname)
    return cpu(
      p.driver.versioned.length
        ? `the NVIDIA driver library was mounted (${p.driver.versioned.join(', ')}) but not linked as libcuda.so.1: the CDI spec's update-ldcache hook did not run (regenerate it with nvidia-ctk cdi generate)`
        : `an NVIDIA GPU was passed through (${p.nvidiaNodes.join(', ')}) without its driver library libcuda.so.1: the CDI spec mounts none (regenerate it with nvidia-ctk cdi generate)`,
    );
  // A build newer than the driver loads, then aborts the process at the first decode (llama.cpp's
  // CUDA error on PTX from a newer toolchain: seen on an H200, driver 580, CUDA 13.1 build).
  const { cuda, toolkit, minDriver } = p.cudaBuild;
  const driver = driverVersion(p.driver.versioned);
  if (minDriver && driver && Number(driver.split('.')[0]) < minDriver)
    return cpu(
      `this llm image's CUDA ${cuda} build was compiled with CUDA ${toolkit}, which needs NVIDIA driver ${minDriver} or later, and the host's is ${driver}: update the host's NVIDIA driver${cuda > 12 ? ", or install the llm package's CUDA 12 variant" : ''} (LLM_DEVICE=cuda tries it anyway)`,
    );
  return {
    device: 'cuda',
    reason: `an NVIDIA GPU (${p.nvidiaNodes.join(', ')}) and its driver (${p.driver.soname}) were passed through; CUDA ${cuda} build`,
  };
}

/** How loading node-llama-cpp's CUDA build went. */
export type CudaAttempt =
  | { ok: true; gpu: string | false; deviceNames: string[]; missing?: string[] }
  | { ok: false; error: string; missing?: string[] };

/** The device the service runs on after trying CUDA: CPU again on any failure, with it as the reason. */
export function settleDevice(choice: DeviceChoice, attempt: CudaAttempt | undefined): DeviceChoice {
  if (choice.device === 'cpu' || !attempt) return { device: 'cpu', reason: choice.reason };
  if (attempt.ok && attempt.gpu === 'cuda')
    return {
      device: 'cuda',
      reason: `CUDA on ${attempt.deviceNames.join(', ') || 'a GPU'} (${choice.reason})`,
    };
  const missing = attempt.missing?.length
    ? `; not found in the container: ${attempt.missing.join(', ')}${attempt.missing.includes('libcuda.so.1') ? ' (the NVIDIA driver library, which the CDI spec mounts)' : ''}`
    : '';
  // In the bundled server node-llama-cpp skips its binary self-test: a CUDA build whose backend
  // cannot be loaded comes back as a binding without a GPU rather than as an error.
  if (attempt.ok)
    return {
      device: 'cpu',
      reason: `node-llama-cpp loaded ${attempt.gpu || 'no GPU'} backend instead of CUDA (${choice.reason}${missing}); using the CPU`,
    };
  return {
    device: 'cpu',
    reason: `the CUDA build did not load (${attempt.error.split('\n')[0]}${missing}); using the CPU`,
  };
}

/** The dynamic loader of this image (Node's own, as ldd would run it: no shell needed). */
const LOADER = '/lib64/ld-linux-x86-64.so.2';

/**
 * The libraries the CUDA backend needs that the loader cannot find here: why a CUDA build "is not
 * compatible with the current system" (node-llama-cpp's only words for it). The loader lists a
 * library's dependencies without running anything (LD_TRACE_LOADED_OBJECTS, what ldd does).
 */
export function missingLibraries(build: NonNullable<DeviceProbe['cudaBuild']>, loader = LOADER): string[] {
  const backend = join(build.dir, build.backend);
  const r = spawnSync(loader, [backend], {
    env: {
      LD_TRACE_LOADED_OBJECTS: '1',
      LD_LIBRARY_PATH: build.libraryDirs.map((d) => join(build.dir, d)).join(':'),
    },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return [...(r.stdout ?? '').matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]!);
}
