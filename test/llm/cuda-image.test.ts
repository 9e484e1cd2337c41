import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/llm/package.js';
import { type ModuleE2E, type ModuleE2EOptions, moduleE2E, podman } from '../helpers/module-e2e.js';
import { FIXTURE_MODELS } from './helpers.js';

// The CUDA variant of the llm image (package.ts --cuda) built, signed, installed and started in the
// real Podman sandbox on this GPU-less machine: it runs on the CPU and says why, and inside the
// container the CUDA backend lacks nothing but the driver's libcuda.so.1, which a CDI spec mounts.
// The CUDA runtime is Debian's (trixie non-free, ~230 MB fetched once by
// scripts/device/cuda-runtime-debian.sh into node_modules/.cache); the image is ~1.1 GB, so this
// file takes minutes (8.5 on a loaded 2-core machine, most of it `repo build` and `bpkg install` of
// the image): it runs only with BLUEPRINT_TEST_CUDA_IMAGE=1, not in `npm test`:
//   BLUEPRINT_TEST_CUDA_IMAGE=1 npx vitest run test/llm/cuda-image.test.ts
const enabled = process.env.BLUEPRINT_TEST_CUDA_IMAGE === '1';
const repoRoot = resolve(import.meta.dirname, '../..');
const cache = join(repoRoot, 'node_modules/.cache/llm-cuda-runtime-debian');

/** Debian's CUDA 12.4 runtime, fetched once (the script writes SOURCE last). */
function cudaRuntime(): string {
  if (existsSync(join(cache, 'SOURCE'))) return cache;
  const partial = `${cache}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  execFileSync('sh', [join(repoRoot, 'scripts/device/cuda-runtime-debian.sh'), partial], { stdio: 'ignore' });
  mkdirSync(join(cache, '..'), { recursive: true });
  rmSync(cache, { recursive: true, force: true });
  renameSync(partial, cache);
  return cache;
}

const enableOnly = (o: ModuleE2EOptions) => (enabled ? moduleE2E(o) : (undefined as unknown as ModuleE2E));
const name = `llm-cuda-${process.pid}`;
// Without BLUEPRINT_TEST_CUDA_IMAGE nothing is built (moduleE2E registers its beforeAll when called).
const e = enableOnly({
  prefix: 'bp-llm-cuda-',
  install: [name],
  timeoutMs: 900_000,
  sources: async (work) => [
    (
      await makePackageSource({
        model: join(FIXTURE_MODELS, 'tiny-llama'),
        out: join(work, 'src'),
        name,
        context: 256,
        cuda: cudaRuntime(),
      })
    ).dir,
  ],
});

describe.skipIf(!enabled)(
  'the CUDA variant of the llm image on a machine without a GPU (real Podman; slow, set BLUEPRINT_TEST_CUDA_IMAGE=1)',
  () => {
    it('starts on the CPU, and /info, service status and service inspect say: no GPU passed through', async () => {
      expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
      const info = (await e.call(name, 'GET', '/info')).body as Record<string, unknown>;
      expect(info).toMatchObject({ device: 'cpu', deviceReason: 'no GPU passed through', gpuLayers: 0 });
      const status = await e.run(['service', 'status', name]);
      expect(status.stdout).toContain(
        `${name}: model tiny-llama, context 256, device cpu (no GPU passed through)`,
      );
      const inspect = await e.run(['service', 'inspect', name]);
      expect(inspect.stdout).toMatch(/gpu +none \(no usable GPU: running on CPU\)/); // the host's plan
      expect(inspect.stdout).toContain(
        'The module says (its /info): model tiny-llama, context 256, device cpu (no GPU passed through)',
      );
      const logs = JSON.stringify(await e.blueprint('service', 'logs', name));
      expect(logs).toContain(
        'CUDA build: node-llama-cpp 3.21.1 for CUDA 12, with libcudart.so.12, libcublas.so.12, libcublasLt.so.12 (Debian trixie non-free',
      );
    }, 300_000);

    it('inside the sandbox the CUDA backend finds everything but the driver library a CDI spec brings', async () => {
      // The image's own loader, run by its own node (no shell in the image), on the backend cuda.json names.
      const script = `const {spawnSync}=require('node:child_process');const c=require('/app/llm/cuda.json');
      const r=spawnSync('/lib64/ld-linux-x86-64.so.2',['/app/llm/'+c.backend],{encoding:'utf8',env:{LD_TRACE_LOADED_OBJECTS:'1',LD_LIBRARY_PATH:c.libraryDirs.map((d)=>'/app/llm/'+d).join(':')}});
      process.stdout.write(r.stdout)`;
      const out = await podman('exec', `blueprint-${name}`, '/usr/bin/node', '-e', script);
      const missing = [...out.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
      expect(missing).toEqual(['libcuda.so.1']);
      expect(out).toMatch(
        /libcublasLt\.so\.12 => \/app\/llm\/node_modules\/@node-llama-cpp\/linux-x64-cuda-ext\/bins\/linux-x64-cuda\/fallback\/libcublasLt\.so\.12/,
      );
      // The CPU-only image stays small: the CUDA build is only in this variant's package source.
      const manifest = JSON.parse(readFileSync(join(e.work, 'src/manifest.json'), 'utf8')) as {
        description: string;
      };
      expect(manifest.description).toMatch(
        /CUDA 12 build \(libcudart\.so\.12, libcublas\.so\.12, libcublasLt\.so\.12 from Debian trixie non-free/,
      );
    }, 60_000);
  },
);
