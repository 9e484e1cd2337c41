/**
 * GPU pass-through on the real engine, with no GPU: a CDI spec (cdiVersion 0.5.0) names a harmless
 * device node made for the test (major/minor of /dev/null). The plan comes from a fixture root
 * whose NVIDIA GPU is "ready" through that spec; the container created with the plan must show that
 * node and nothing else compared with the same container without a GPU, under the same sandbox.
 *
 * Podman 4.3 reads CDI specs only from the host's /etc/cdi and /var/run/cdi (no cdi_spec_dirs), so
 * the spec is also written there under a unique name and removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planGpuAccess } from '../../src/core/gpu/index.js';
import type { GpuAccessPlan } from '../../src/core/gpu/types.js';
import { copyFixture, fixtureRoot, removeCopies } from './helpers.js';
import { runToEnd } from './podman.js';

const id = randomBytes(4).toString('hex');
const NODE = `/dev/bp-gpu-test-${id}`;
const HOST_SPEC = `/etc/cdi/bp-gpu-test-${id}.yaml`;
const IMAGE = `localhost/bp-gpu-test/devlist-${id}:1`;
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

let work: string;
let root: string;

beforeAll(async () => {
  if (skip) return;
  work = await mkdtemp(path.join(os.tmpdir(), 'bp-gpu-pass-'));
  await execa('gcc', [
    '-static',
    '-O2',
    '-o',
    path.join(work, 'devlist'),
    path.join(import.meta.dirname, 'devlist/devlist.c'),
  ]);
  await writeFile(
    path.join(work, 'Containerfile'),
    'FROM scratch\nCOPY devlist /devlist\nENTRYPOINT ["/devlist"]\n',
  );
  await execa('podman', ['build', '-q', '-t', IMAGE, work]);
  await execa('mknod', ['-m', '666', NODE, 'c', '1', '3']);
  await mkdir('/etc/cdi', { recursive: true });
  await writeFile(HOST_SPEC, SPEC);
  root = await copyFixture('nvidia-h100');
  await writeFile(path.join(root, 'etc/cdi/nvidia.yaml'), SPEC);
}, 120_000);

afterAll(async () => {
  if (skip) return;
  await rm(HOST_SPEC, { force: true });
  await rm(NODE, { force: true });
  await execa('podman', ['rmi', '-f', IMAGE], { reject: false });
  await rm(work, { recursive: true, force: true });
  await removeCopies();
});

/** The sandbox the services module creates (no capabilities, no-new-privileges, userns, no network) plus the plan. */
function sandbox(plan: GpuAccessPlan): Record<string, unknown> {
  return {
    name: `bp-gpu-test-${id}-${randomBytes(2).toString('hex')}`,
    image: IMAGE,
    cap_drop: ['all'],
    no_new_privileges: true,
    read_only_filesystem: true,
    userns: { nsmode: 'auto', value: 'size=65536' },
    netns: { nsmode: 'none' },
    ...(plan.use ? { devices: [...plan.cdiDevices, ...plan.devices].map((p) => ({ path: p })) } : {}),
  };
}

const lines = (output: string) => output.trim().split('\n').sort();

describe.skipIf(skip)('GPU pass-through on Podman through CDI', () => {
  it('gpu: required gets the spec device and nothing else; gpu: optional on a no-GPU box gets none', async () => {
    const gpuPlan = await planGpuAccess(root, 'required');
    expect(gpuPlan).toMatchObject({
      use: true,
      vendor: 'nvidia',
      cdiDevices: ['nvidia.com/gpu=all'],
      devices: [],
    });
    const cpuPlan = await planGpuAccess(fixtureRoot('none'), 'optional');
    expect(cpuPlan).toMatchObject({ use: false, reason: 'no usable GPU: running on CPU' });

    const withGpu = await runToEnd(sandbox(gpuPlan));
    const withoutGpu = await runToEnd(sandbox(cpuPlan));
    expect(withGpu.exitCode).toBe(0);
    expect(withoutGpu.exitCode).toBe(0);

    const added = lines(withGpu.output).filter((l) => !lines(withoutGpu.output).includes(l));
    const removed = lines(withoutGpu.output).filter((l) => !lines(withGpu.output).includes(l));
    expect(added).toEqual([`dev ${NODE} c 1:3`]);
    expect(removed).toEqual([]);
    // Same sandbox with and without the GPU.
    expect(lines(withGpu.output)).toEqual(
      expect.arrayContaining([
        'status CapEff:\t0000000000000000',
        'status NoNewPrivs:\t1',
        'status Seccomp:\t2',
      ]),
    );
  });

  it('gpu: required on a box without a usable GPU is refused before any container exists', async () => {
    await expect(planGpuAccess(fixtureRoot('none'), 'required')).rejects.toMatchObject({
      code: 'gpu-required',
    });
    await expect(planGpuAccess(fixtureRoot('nvidia-nouveau'), 'required')).rejects.toMatchObject({
      code: 'gpu-required',
      message: expect.stringContaining('bound to nouveau'),
    });
  });

  it('the engine refuses a CDI device no spec defines (what a stale plan would meet)', async () => {
    const plan: GpuAccessPlan = {
      ...(await planGpuAccess(root, 'required')),
      cdiDevices: [`nvidia.com/gpu=${id}`],
    };
    await expect(runToEnd(sandbox(plan))).rejects.toThrow(/unresolvable CDI devices/);
  });
});
