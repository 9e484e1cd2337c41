import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { getLlama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import {
  CPU_IMAGE,
  chooseDevice,
  type DeviceProbe,
  missingLibraries,
  NO_GPU,
  probeDevice,
  settleDevice,
} from '../../modules/llm/server/device.js';
import { Engine } from '../../modules/llm/server/engine.js';

// The llm service's device choice, from what its container was given (fixture roots: see
// test/fixtures/gpu/llm-container/SOURCE.md) and how node-llama-cpp's CUDA build fared.
const fixtures = resolve(import.meta.dirname, '../fixtures/gpu/llm-container');
const probe = (name: string): DeviceProbe => {
  const root = join(fixtures, name, 'root');
  return probeDevice(root, join(root, 'app/llm/cuda.json'));
};
const GPU_NODES = ['/dev/nvidia0', '/dev/nvidiactl'];

describe('probeDevice: what the container was given', () => {
  it('a GPU passed through with CDI: its nodes, the driver library as libcuda.so.1, the CUDA build', () => {
    const p = probe('cuda-gpu');
    expect(p.nvidiaNodes).toEqual(GPU_NODES); // nvidia-uvm is not a GPU of its own
    expect(p.driver.soname).toBe('/usr/lib/x86_64-linux-gnu/libcuda.so.1');
    expect(p.cudaBuild).toMatchObject({
      cuda: 12,
      runtime: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12'],
    });
    expect(p.cudaBuild?.dir).toBe(join(fixtures, 'cuda-gpu/root/app/llm'));
  });

  it('nothing passed through and the CPU-only image: no nodes, no driver, no build', () => {
    expect(probe('cpu-no-gpu')).toEqual({ nvidiaNodes: [], driver: { versioned: [] } });
  });

  it('the versioned driver library without its libcuda.so.1 link', () => {
    expect(probe('cuda-gpu-no-ldcache').driver).toEqual({
      versioned: ['/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15'],
    });
  });
});

describe('chooseDevice: the device to try, and why', () => {
  it('GPU, driver and CUDA build → try CUDA', () => {
    const c = chooseDevice('auto', probe('cuda-gpu'));
    expect(c.device).toBe('cuda');
    expect(c.reason).toMatch(
      /NVIDIA GPU \(\/dev\/nvidia0, \/dev\/nvidiactl\) and its driver .*libcuda\.so\.1.*CUDA 12 build/,
    );
  });

  it('no GPU passed through → CPU, whichever image', () => {
    expect(chooseDevice('auto', probe('cuda-no-gpu'))).toEqual({ device: 'cpu', reason: NO_GPU });
    expect(chooseDevice('auto', probe('cpu-no-gpu'))).toEqual({ device: 'cpu', reason: NO_GPU });
    expect(NO_GPU).toBe('no GPU passed through');
  });

  it('a GPU passed to the CPU-only image → CPU, and the reason says to install the CUDA variant', () => {
    const c = chooseDevice('auto', probe('cpu-gpu'));
    expect(c.device).toBe('cpu');
    expect(c.reason).toContain('an NVIDIA GPU was passed through (/dev/nvidia0, /dev/nvidiactl)');
    expect(c.reason).toContain('install the CUDA variant of the llm package');
    expect(chooseDevice('cuda', probe('cpu-gpu')).device).toBe('cpu'); // nothing to load CUDA with
    expect(chooseDevice('cuda', probe('cpu-no-gpu')).reason).toBe(`LLM_DEVICE=cuda, but ${CPU_IMAGE}`);
  });

  it('a GPU without its driver library → CPU, naming what the CDI spec lacks', () => {
    expect(chooseDevice('auto', probe('cuda-gpu-no-driver'))).toMatchObject({
      device: 'cpu',
      reason: expect.stringMatching(/without its driver library libcuda\.so\.1.*nvidia-ctk cdi generate/),
    });
    expect(chooseDevice('auto', probe('cuda-gpu-no-ldcache'))).toMatchObject({
      device: 'cpu',
      reason: expect.stringMatching(
        /libcuda\.so\.550\.54\.15\) but not linked as libcuda\.so\.1: .*update-ldcache/,
      ),
    });
  });

  it('LLM_DEVICE=cpu wins; LLM_DEVICE=cuda tries the build even unseen; anything else is refused', () => {
    expect(chooseDevice('cpu', probe('cuda-gpu'))).toEqual({ device: 'cpu', reason: 'LLM_DEVICE=cpu' });
    expect(chooseDevice('cuda', probe('cuda-no-gpu'))).toEqual({ device: 'cuda', reason: 'LLM_DEVICE=cuda' });
    expect(() => chooseDevice('rocm', probe('cuda-gpu'))).toThrow(
      'LLM_DEVICE=rocm must be auto, cpu or cuda',
    );
  });
});

describe('settleDevice: after trying the CUDA build', () => {
  const tried = { device: 'cuda' as const, reason: 'why tried' };
  it('loaded with a CUDA GPU → CUDA, naming the GPU', () => {
    expect(settleDevice(tried, { ok: true, gpu: 'cuda', deviceNames: ['NVIDIA H100 80GB HBM3'] })).toEqual({
      device: 'cuda',
      reason: 'CUDA on NVIDIA H100 80GB HBM3 (why tried)',
    });
  });
  it('failed → CPU, with the failure and what the loader could not find', () => {
    const s = settleDevice(tried, {
      ok: false,
      error: 'NoBinaryFoundError\nstack',
      missing: ['libcublas.so.13', 'libcuda.so.1'],
    });
    expect(s.device).toBe('cpu');
    expect(s.reason).toBe(
      'the CUDA build did not load (NoBinaryFoundError; not found in the container: libcublas.so.13, libcuda.so.1 (the NVIDIA driver library, which the CDI spec mounts)); using the CPU',
    );
  });
  it('loaded, but not on CUDA (the bundled server: no self-test, no error) → CPU, with what is missing', () => {
    expect(settleDevice(tried, { ok: true, gpu: false, deviceNames: [] }).reason).toMatch(
      /loaded no GPU backend instead of CUDA \(why tried\); using the CPU/,
    );
    expect(
      settleDevice(tried, { ok: true, gpu: false, deviceNames: [], missing: ['libcuda.so.1'] }).reason,
    ).toBe(
      'node-llama-cpp loaded no GPU backend instead of CUDA (why tried; not found in the container: libcuda.so.1 (the NVIDIA driver library, which the CDI spec mounts)); using the CPU',
    );
  });
  it('CPU chosen → CPU, nothing tried', () => {
    expect(settleDevice({ device: 'cpu', reason: NO_GPU }, undefined)).toEqual({
      device: 'cpu',
      reason: NO_GPU,
    });
  });
});

describe('Engine.backend: CUDA tried, CPU on failure', () => {
  type Load = typeof getLlama;
  const fakeLlama = (gpu: string | false) => {
    let disposed = false;
    return {
      gpu,
      getGpuDeviceNames: async () => (gpu ? ['Fake GPU'] : []),
      dispose: async () => {
        disposed = true;
      },
      get disposed() {
        return disposed;
      },
    };
  };

  it('getLlama throwing for CUDA: the CPU binding instead, the error and the missing libraries as the reason, logged', async () => {
    const asked: unknown[] = [];
    const cpu = fakeLlama(false);
    const load = (async (o: { gpu: unknown }) => {
      asked.push(o.gpu);
      if (o.gpu === 'cuda') throw new Error('NoBinaryFoundError');
      return cpu;
    }) as unknown as Load;
    const logged: string[] = [];
    const b = await Engine.backend({ device: 'cuda', deviceReason: 'tried' }, (l) => logged.push(l), {
      getLlama: load,
      missing: () => ['libcuda.so.1'],
    });
    expect(asked).toEqual(['cuda', false]);
    expect(b.llama).toBe(cpu);
    expect(b.device).toBe('cpu');
    expect(b.deviceReason).toMatch(
      /^the CUDA build did not load \(NoBinaryFoundError; not found in the container: libcuda\.so\.1/,
    );
    expect(logged).toEqual([b.deviceReason]);
  });

  it('a CUDA binding that found no CUDA GPU is disposed and the CPU one loaded', async () => {
    const wrong = fakeLlama(false);
    const cpu = fakeLlama(false);
    const load = (async (o: { gpu: unknown }) => (o.gpu === 'cuda' ? wrong : cpu)) as unknown as Load;
    const b = await Engine.backend({ device: 'cuda', deviceReason: 'tried' }, undefined, {
      getLlama: load,
      missing: () => ['libcuda.so.1'],
    });
    expect(b).toMatchObject({ device: 'cpu', llama: cpu });
    expect(b.deviceReason).toMatch(
      /^node-llama-cpp loaded no GPU backend instead of CUDA \(tried; not found in the container: libcuda\.so\.1/,
    );
    expect(wrong.disposed).toBe(true);
  });

  it('CUDA loading: that binding is used, the reason names the GPU', async () => {
    const gpu = fakeLlama('cuda');
    const load = (async () => gpu) as unknown as Load;
    const b = await Engine.backend({ device: 'cuda', deviceReason: 'tried' }, undefined, { getLlama: load });
    expect(b).toMatchObject({ device: 'cuda', deviceReason: 'CUDA on Fake GPU (tried)', llama: gpu });
  });

  // The real thing: node-llama-cpp's CUDA 13 prebuilt (installed with node-llama-cpp) on a machine
  // with no NVIDIA driver. getLlama refuses it; the loader names what is missing.
  it.skipIf(existsSync('/dev/nvidiactl'))(
    'the real CUDA build on this GPU-less machine: getLlama throws, the loader names libcuda.so.1, the CPU binding works',
    async () => {
      const app = resolve(import.meta.dirname, '../..');
      const bins = 'node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda';
      const build = {
        dir: app,
        cuda: 13,
        backend: `${bins}/libggml-cuda.so`,
        libraryDirs: [bins],
        runtime: [],
        from: 'test',
        version: '3.21.1',
      };
      const missing = missingLibraries(build);
      expect(missing).toContain('libcuda.so.1');
      const b = await Engine.backend({ device: 'cuda', deviceReason: 'tried' }, undefined, {
        missing: () => missing,
      });
      try {
        expect(b.device).toBe('cpu');
        expect(b.deviceReason).toMatch(
          /^the CUDA build did not load \(.+; not found in the container: .*libcuda\.so\.1/,
        );
        expect(b.llama.gpu).toBe(false);
      } finally {
        await b.llama.dispose();
      }
    },
    60_000,
  );
});

// On the H200 device machine (24th session) the CUDA 12 build has no machine code for that GPU:
// the driver compiled its kernels from PTX at the first chat (first token 15.2 s for the
// qwen05-shaped model; 56 ms once CUDA's cache held them, 46 MB). CUDA keeps that cache under
// $HOME/.nv, which in the read-only container is lost or never written: every start would pay it.
describe('CUDA JIT cache', () => {
  it('is kept in the module data folder, which the service can write and keeps across restarts', async () => {
    const manifest = JSON.parse(
      await (await import('node:fs/promises')).readFile(
        resolve(import.meta.dirname, '../../modules/llm/manifest.json'),
        'utf8',
      ),
    );
    const { data, env } = manifest.service;
    expect(env.CUDA_CACHE_PATH).toBe(`${data}/cuda-cache`);
    // Room for several models' kernels (one model's were 46 MB), set rather than left to the driver.
    expect(Number(env.CUDA_CACHE_MAXSIZE)).toBeGreaterThanOrEqual(2 ** 30);
  });
});

// node-llama-cpp 3.21.1's CUDA 13 backend was compiled with CUDA 13.1; on the H200 device machine
// (driver 580.159.04, CUDA 13.0) it loaded, then aborted the whole process at the first decode
// ("the provided PTX was compiled with an unsupported toolchain"): the service would die at every
// chat. The build's toolkit is read when the image is made; the driver's version is in the name of
// the library the CDI spec mounts.
describe('a CUDA build newer than the driver', () => {
  const given = (
    cuda: number,
    driver: string,
    more: Partial<DeviceProbe['cudaBuild']> = {},
  ): DeviceProbe => ({
    nvidiaNodes: GPU_NODES,
    driver: {
      soname: '/usr/lib/x86_64-linux-gnu/libcuda.so.1',
      versioned: [`/usr/lib/x86_64-linux-gnu/libcuda.so.${driver}`],
    },
    cudaBuild: {
      cuda,
      backend: 'b',
      libraryDirs: [],
      runtime: [],
      from: 'x',
      version: '3.21.1',
      dir: '/app/llm',
      ...more,
    },
  });

  it('→ CPU, saying which driver it needs and what to do; a driver new enough → CUDA', () => {
    const old = chooseDevice('auto', given(13, '580.159.04', { toolkit: '13.1', minDriver: 590 }));
    expect(old.device).toBe('cpu');
    expect(old.reason).toBe(
      "this llm image's CUDA 13 build was compiled with CUDA 13.1, which needs NVIDIA driver 590 or later, and the host's is 580.159.04: update the host's NVIDIA driver, or install the llm package's CUDA 12 variant (LLM_DEVICE=cuda tries it anyway)",
    );
    expect(chooseDevice('auto', given(13, '590.44.01', { toolkit: '13.1', minDriver: 590 })).device).toBe(
      'cuda',
    );
    // Unknown toolkit (the CUDA 12 build names none), or no versioned library to read: tried, as before.
    expect(chooseDevice('auto', given(12, '580.159.04')).device).toBe('cuda');
    const unversioned = given(13, '580.159.04', { toolkit: '13.1', minDriver: 590 });
    unversioned.driver.versioned = [];
    expect(chooseDevice('auto', unversioned).device).toBe('cuda');
    // LLM_DEVICE=cuda is the admin's word.
    expect(chooseDevice('cuda', given(13, '580.159.04', { toolkit: '13.1', minDriver: 590 })).device).toBe(
      'cuda',
    );
  });

  it("the toolkit is read from the backend itself: the installed CUDA 13 prebuilt's is 13.1, driver 590", async () => {
    const { cudaToolkitOf } = await import('../../modules/llm/cuda.js');
    const nm = resolve(import.meta.dirname, '../../node_modules/@node-llama-cpp');
    expect(cudaToolkitOf(join(nm, 'linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so'))).toEqual({
      toolkit: '13.1',
      minDriver: 590,
    });
    // The CUDA 12 fallback carries no such string: nothing is claimed.
    expect(
      await cudaToolkitOf(join(nm, 'linux-x64-cuda-ext/bins/linux-x64-cuda/fallback/libggml-cuda.so')),
    ).toEqual({});
  }, 60_000);
});
