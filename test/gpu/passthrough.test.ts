/**
 * GPU pass-through through the services module on the real engine, with no GPU: a CDI spec
 * (cdiVersion 0.5.0) names a harmless device node made for the test (major/minor of /dev/null).
 * The box's root holds the nvidia-h100 fixture, whose GPU is "ready" through that spec; a module
 * with `gpu: required` must start with that node visible inside and nothing else added compared
 * with the same module under `gpu: none`, under the same sandbox. On a root with no GPU it must
 * be refused before any container exists.
 *
 * Podman 4.3 reads CDI specs only from the host's /etc/cdi and /var/run/cdi (no cdi_spec_dirs), so
 * the spec is also written there under a unique name and removed afterwards. Under a user
 * namespace runc bind-mounts device nodes from the same host path, so the node lives in /dev.
 */
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planGpuAccess } from '../../src/core/gpu/index.js';
import { execInService, inspectService } from '../../src/core/services/inspect.js';
import { inspectContainer, removeModuleContainers, startService } from '../../src/core/services/lifecycle.js';
import { buildHello, cli, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';
import { fixtureRoot } from './helpers.js';

const id = randomBytes(4).toString('hex');
const NODE = `/dev/bp-gpu-test-${id}`;
const HOST_SPEC = `/etc/cdi/bp-gpu-test-${id}.yaml`;
// An AMD/Intel-style render node: 0660 and owned by a group the container does not have.
const RENDER_NODE = `/dev/bp-gpu-test-${id}-render`;
const RENDER_GID = 40000 + (Number.parseInt(id.slice(0, 4), 16) % 20000);
const H100_UUID = 'GPU-8f6e9a3c-5b21-4d7e-a0c4-2f1b9d3e7a56';

// Named like nvidia-ctk names them (`all` and the GPU's UUID), pointing only at the test's node.
const SPEC = `cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: ${H100_UUID}
  containerEdits:
    deviceNodes:
    - path: ${NODE}
- name: all
  containerEdits:
    deviceNodes:
    - path: ${NODE}
`;

/** A real NVIDIA spec on this host would collide with ours (and means a real GPU test belongs elsewhere). */
async function hostHasNvidiaSpec(): Promise<boolean> {
  for (const dir of ['/etc/cdi', '/var/run/cdi'])
    for (const name of await readdir(dir).catch(() => [] as string[]))
      if ((await readFile(path.join(dir, name), 'utf8').catch(() => '')).includes('nvidia.com/gpu'))
        return true;
  return false;
}
const skip = await hostHasNvidiaSpec();

let build: HelloBuild;
let gpuBox: TestBox;
let cpuBox: TestBox;
let tools: string;

/** Installs a hello module whose package carries the /dev lister, mounted read-only at /tools. */
async function install(box: TestBox, name: string, gpu: 'none' | 'optional' | 'required') {
  const pkg = await box.install(name, { gpu, mounts: [{ source: 'tools', target: '/tools' }] });
  // Readable by the container's mapped user, as a package's payload would be.
  await cp(tools, path.join(pkg.prefix, 'tools'), { recursive: true });
  await chmod(path.join(pkg.prefix, 'tools'), 0o755);
}

const deps = (box: TestBox) => ({ engine: box.engine, root: box.root, planGpu: planGpuAccess });

async function devices(box: TestBox, name: string): Promise<string[]> {
  const r = await execInService(box.engine, name, ['/tools/devlist']);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').sort();
}

beforeAll(async () => {
  if (skip) return;
  tools = tempDir('bp-gpu-tools-');
  await execa('gcc', [
    '-static',
    '-O2',
    '-o',
    path.join(tools, 'devlist'),
    path.join(import.meta.dirname, 'devlist/devlist.c'),
  ]);
  await execa('mknod', ['-m', '666', NODE, 'c', '1', '3']);
  await execa('mknod', ['-m', '660', RENDER_NODE, 'c', '1', '3']);
  await execa('chown', [`root:${RENDER_GID}`, RENDER_NODE]);
  await mkdir('/etc/cdi', { recursive: true });
  await writeFile(HOST_SPEC, SPEC);
  build = await buildHello();
  gpuBox = await makeBox(build);
  await cp(fixtureRoot('nvidia-h100'), gpuBox.root, { recursive: true, verbatimSymlinks: true });
  await writeFile(path.join(gpuBox.root, 'etc/cdi/nvidia.yaml'), SPEC);
  cpuBox = await makeBox(build);
  await cp(fixtureRoot('none'), cpuBox.root, { recursive: true, verbatimSymlinks: true });
}, 180_000);

afterAll(async () => {
  if (skip) return;
  await gpuBox?.cleanup();
  await cpuBox?.cleanup();
  await rm(HOST_SPEC, { force: true });
  await rm(NODE, { force: true });
  await rm(RENDER_NODE, { force: true });
  if (build) await rm(build.dir, { recursive: true, force: true });
});

describe.skipIf(skip)('GPU pass-through into a sandboxed service (Podman, CDI)', () => {
  it('gpu: required starts with the CDI device visible inside and nothing else added', async () => {
    const withGpu = uniqueName('bpt-gpu-req');
    const without = uniqueName('bpt-gpu-none');
    await install(gpuBox, withGpu, 'required');
    await install(gpuBox, without, 'none');
    // Through the executable, so the CLI's wiring of the GPU plan is what is tested.
    const started = await cli(gpuBox.root, ['service', 'start', withGpu]);
    expect(started.code, started.stderr).toBe(0);
    expect((await startService(deps(gpuBox), without)).healthy).toBe(true);

    const inside = await devices(gpuBox, withGpu);
    const baseline = await devices(gpuBox, without);
    expect(inside.filter((l) => !baseline.includes(l))).toEqual([`dev ${NODE} c 1:3`, `open ${NODE} ok`]);
    expect(baseline.filter((l) => !inside.includes(l))).toEqual([]);
    // The rest of the sandbox is unchanged (the status lines are in both listings, equal).
    expect(inside).toEqual(
      expect.arrayContaining([
        'status CapEff:\t0000000000000000',
        'status NoNewPrivs:\t1',
        'status Seccomp:\t2',
      ]),
    );
    expect((await inspectService(deps(gpuBox), withGpu)).policy.gpu).toBe(
      'nvidia.com/gpu=all (NVIDIA H100 80GB HBM3 through CDI nvidia.com/gpu=all)',
    );
  });

  it('AMD/Intel-style nodes of the host render group are usable inside by ACL, until the container goes', async () => {
    const name = uniqueName('bpt-gpu-render');
    await install(gpuBox, name, 'required');
    // The plan an AMD box gets (device nodes, no CDI), for the test's node.
    const amd = {
      ...deps(gpuBox),
      planGpu: async () => ({
        use: true,
        vendor: 'amd' as const,
        cdiDevices: [],
        devices: [RENDER_NODE],
        reason: 'test render node',
      }),
    };
    expect((await startService(amd, name)).healthy).toBe(true);
    expect(await devices(gpuBox, name)).toEqual(
      expect.arrayContaining([`dev ${RENDER_NODE} c 1:3`, `open ${RENDER_NODE} ok`]),
    );
    const acl = async () => (await execa('getfacl', ['-n', '-p', RENDER_NODE])).stdout;
    const entry = /^group:(\d+):rw-$/m.exec(await acl());
    expect(Number(entry?.[1])).toBeGreaterThanOrEqual(2147483647); // the container's mapped group
    await removeModuleContainers(gpuBox.engine, name, gpuBox.root);
    expect(await acl()).not.toMatch(/^group:\d+:/m);
  });

  it('gpu: required on a box without a GPU is refused, naming what is missing, and no container is made', async () => {
    const name = uniqueName('bpt-gpu-refused');
    await install(cpuBox, name, 'required');
    const refused = await cli(cpuBox.root, ['service', 'start', name]);
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({
      error: {
        code: 'gpu-required',
        message: 'This service needs a GPU, but no NVIDIA, AMD or Intel GPU was found on this box',
      },
    });
    await expect(startService(deps(cpuBox), name)).rejects.toMatchObject({ code: 'gpu-required' });
    expect(await inspectContainer(cpuBox.engine, name, cpuBox.root)).toBeUndefined();
  });

  it('gpu: optional on a box without a GPU starts on CPU and says so', async () => {
    const name = uniqueName('bpt-gpu-opt');
    await install(cpuBox, name, 'optional');
    expect((await startService(deps(cpuBox), name)).healthy).toBe(true);
    expect((await inspectService(deps(cpuBox), name)).policy.gpu).toBe(
      'none (no usable GPU: running on CPU)',
    );
    expect((await devices(cpuBox, name)).filter((l) => l.includes('bp-gpu-test'))).toEqual([]);
  });
});
