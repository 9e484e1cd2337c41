import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectGpus } from '../../src/core/gpu/index.js';
import { readinessLine } from '../../src/present/gpu.js';
import { copyFixture, fixtureRoot, recordedRunner } from './helpers.js';

const H100_UUID = 'GPU-8f6e9a3c-5b21-4d7e-a0c4-2f1b9d3e7a56';

describe('detection on fixture roots (kernel view + recorded vendor tools)', () => {
  it('no GPU: a server whose only display is the BMC', async () => {
    const report = await detectGpus(fixtureRoot('none'), { runner: recordedRunner('none') });
    expect(report).toEqual({ accelerators: [], tools: [], cdiSpecs: [] });
  });

  it('one NVIDIA datacenter GPU with driver and CDI spec', async () => {
    const calls: string[][] = [];
    const report = await detectGpus(fixtureRoot('nvidia-h100'), {
      runner: recordedRunner('nvidia-h100', calls),
    });
    expect(report.accelerators).toEqual([
      {
        vendor: 'nvidia',
        model: 'NVIDIA H100 80GB HBM3',
        pciAddress: '0000:18:00.0',
        pciId: '10de:2330',
        memoryBytes: 81559 * 2 ** 20,
        driver: { name: 'nvidia', version: '550.54.15', inTree: false },
        deviceNodes: ['/dev/nvidia0', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools'],
        uuid: H100_UUID,
        container: {
          runtime: 'cuda',
          ready: true,
          reason: 'CUDA ready through CDI nvidia.com/gpu=0 (/etc/cdi/nvidia.yaml)',
          cdiDevice: 'nvidia.com/gpu=0',
          cdiAll: 'nvidia.com/gpu=all',
          cdiSpec: '/etc/cdi/nvidia.yaml',
        },
      },
    ]);
    expect(calls).toEqual([
      ['nvidia-smi', '--query-gpu=name,pci.bus_id,memory.total,driver_version,uuid', '--format=csv,noheader'],
    ]);
    expect(report.tools).toEqual([
      { tool: 'nvidia-smi', status: 'ok', detail: 'nvidia-smi reported 1 GPU(s), 1 matched by PCI address' },
    ]);
    expect(report.cdiSpecs).toEqual([
      { path: '/etc/cdi/nvidia.yaml', kind: 'nvidia.com/gpu', devices: ['0', H100_UUID, 'all'] },
    ]);
  });

  it('works from the kernel view alone: name from the driver, memory unknown', async () => {
    const [gpu] = (await detectGpus(fixtureRoot('nvidia-h100'), { runner: null })).accelerators;
    expect(gpu).toMatchObject({ model: 'NVIDIA H100 80GB HBM3', memoryBytes: null, uuid: H100_UUID });
    expect(gpu!.container.ready).toBe(true);
  });

  it('NVIDIA GPU on nouveau: no CUDA, and nvidia-smi is not even tried', async () => {
    const calls: string[][] = [];
    const report = await detectGpus(fixtureRoot('nvidia-nouveau'), {
      runner: recordedRunner('nvidia-nouveau', calls),
    });
    expect(calls).toEqual([]);
    expect(report.accelerators).toEqual([
      {
        vendor: 'nvidia',
        model: 'NVIDIA GeForce GTX 1080',
        pciAddress: '0000:01:00.0',
        pciId: '10de:1b80',
        memoryBytes: null,
        driver: { name: 'nouveau', version: '6.1.0-18-amd64', inTree: true },
        deviceNodes: ['/dev/dri/card0', '/dev/dri/renderD128'],
        container: {
          runtime: 'cuda',
          ready: false,
          reason: 'bound to nouveau, which has no CUDA',
          fix: 'install the NVIDIA driver (Debian: `apt install nvidia-driver` from non-free; it blacklists nouveau) and reboot',
        },
      },
    ]);
  });

  it('NVIDIA GPU with no driver and no pci.ids: named by its PCI id', async () => {
    const [gpu, ...rest] = (await detectGpus(fixtureRoot('nvidia-nodriver'), { runner: recordedRunner('x') }))
      .accelerators;
    expect(rest).toEqual([]);
    expect(gpu).toMatchObject({
      model: 'NVIDIA device 10de:20b5',
      pciAddress: '0000:ca:00.0',
      driver: null,
      deviceNodes: [],
      container: { ready: false, reason: 'no kernel driver is bound to this NVIDIA GPU' },
    });
  });

  it('two mixed GPUs: Intel integrated and an NVIDIA card with its CDI spec in /var/run/cdi', async () => {
    const report = await detectGpus(fixtureRoot('mixed'), { runner: recordedRunner('mixed') });
    const [intel, nvidia] = report.accelerators;
    expect(report.accelerators).toHaveLength(2);
    expect(intel).toEqual({
      vendor: 'intel',
      model: 'Intel UHD Graphics 770',
      pciAddress: '0000:00:02.0',
      pciId: '8086:a780',
      memoryBytes: null,
      driver: { name: 'i915', version: '6.1.0-18-amd64', inTree: true },
      deviceNodes: ['/dev/dri/card0', '/dev/dri/renderD128'],
      container: {
        runtime: 'level-zero',
        ready: true,
        reason: 'Level Zero ready: /dev/dri/renderD128 (group render)',
      },
    });
    expect(nvidia).toMatchObject({
      model: 'NVIDIA GeForce RTX 4090',
      pciAddress: '0000:01:00.0',
      memoryBytes: 24564 * 2 ** 20,
      driver: { name: 'nvidia', version: '535.129.03', inTree: false },
      deviceNodes: [
        '/dev/nvidia0',
        '/dev/nvidiactl',
        '/dev/nvidia-uvm',
        '/dev/nvidia-uvm-tools',
        '/dev/nvidia-modeset',
        '/dev/dri/card1',
        '/dev/dri/renderD129',
      ],
      container: { ready: true, cdiDevice: 'nvidia.com/gpu=0', cdiSpec: '/var/run/cdi/nvidia.yaml' },
    });
  });

  it('AMD Instinct with amdgpu and /dev/kfd; VRAM from sysfs, name from rocm-smi', async () => {
    const calls: string[][] = [];
    const report = await detectGpus(fixtureRoot('amd-mi210'), { runner: recordedRunner('amd-mi210', calls) });
    expect(calls.map((c) => c[0])).toEqual(['rocm-smi']);
    expect(report.accelerators).toEqual([
      {
        vendor: 'amd',
        model: 'AMD Instinct MI210',
        pciAddress: '0000:83:00.0',
        pciId: '1002:740f',
        memoryBytes: 68702699520,
        driver: { name: 'amdgpu', version: '6.1.0-18-amd64', inTree: true },
        deviceNodes: ['/dev/kfd', '/dev/dri/card1', '/dev/dri/renderD128'],
        container: {
          runtime: 'rocm',
          ready: true,
          reason: 'ROCm ready: /dev/kfd + /dev/dri/renderD128',
        },
      },
    ]);
  });

  it('Intel integrated GPU', async () => {
    const report = await detectGpus(fixtureRoot('intel-igpu'), { runner: recordedRunner('intel-igpu') });
    expect(report.tools).toEqual([]);
    expect(report.accelerators).toMatchObject([
      {
        vendor: 'intel',
        model: 'Intel Iris Xe Graphics',
        pciAddress: '0000:00:02.0',
        deviceNodes: ['/dev/dri/card0', '/dev/dri/renderD128'],
        container: { runtime: 'level-zero', ready: true },
      },
    ]);
  });
});

describe('not ready: the reason and the exact fix', () => {
  const nvidia = async (root: string) => (await detectGpus(root, { runner: null })).accelerators[0]!;

  it('NVIDIA driver loaded but no CDI spec', async () => {
    const root = await copyFixture('nvidia-h100');
    await rm(path.join(root, 'etc/cdi/nvidia.yaml'));
    expect(readinessLine(await nvidia(root))).toBe(
      'not ready: NVIDIA driver loaded but no CDI spec: run `nvidia-ctk cdi generate --output /etc/cdi/nvidia.yaml`',
    );
  });

  it('CDI spec generated for an older driver', async () => {
    const root = await copyFixture('nvidia-h100');
    const version = path.join(root, 'proc/driver/nvidia/version');
    await writeFile(version, (await readFile(version, 'utf8')).replace('550.54.15', '550.90.07'));
    await rm(path.join(root, 'sys/module/nvidia/version'));
    const gpu = await nvidia(root);
    expect(gpu.driver?.version).toBe('550.90.07');
    expect(gpu.container).toMatchObject({
      ready: false,
      reason: 'CDI spec /etc/cdi/nvidia.yaml was generated for driver 550.54.15 but 550.90.07 is loaded',
      fix: 'run `nvidia-ctk cdi generate --output /etc/cdi/nvidia.yaml`',
    });
  });

  it('CDI spec that does not list this GPU', async () => {
    const root = await copyFixture('nvidia-h100');
    const spec = path.join(root, 'etc/cdi/nvidia.yaml');
    // Written for another GPU: other node, other UUID.
    const other = (await readFile(spec, 'utf8'))
      .replaceAll('/dev/nvidia0', '/dev/nvidia1')
      .replaceAll(H100_UUID, 'GPU-0');
    await writeFile(spec, other);
    expect((await nvidia(root)).container.reason).toBe(
      'CDI spec /etc/cdi/nvidia.yaml does not list /dev/nvidia0 (generated before this GPU was added?)',
    );
  });

  it('broken CDI spec: reported, and the GPU not ready', async () => {
    const root = await copyFixture('nvidia-h100');
    await writeFile(
      path.join(root, 'etc/cdi/nvidia.yaml'),
      'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: [\n',
    );
    const report = await detectGpus(root, { runner: null });
    expect(report.cdiSpecs[0]).toMatchObject({
      path: '/etc/cdi/nvidia.yaml',
      error: expect.stringMatching(/^not valid YAML/),
    });
    expect(report.accelerators[0]!.container).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/^CDI spec \/etc\/cdi\/nvidia.yaml is unusable: not valid YAML/),
      fix: 'run `nvidia-ctk cdi generate --output /etc/cdi/nvidia.yaml`',
    });
  });

  it('device nodes missing', async () => {
    const root = await copyFixture('nvidia-h100');
    await rm(path.join(root, 'dev/nvidia0'));
    expect((await nvidia(root)).container).toMatchObject({
      ready: false,
      reason: 'NVIDIA driver loaded but /dev/nvidia0 is missing',
      fix: 'create the device nodes: run `nvidia-modprobe -u -c 0` (or `nvidia-smi` once as root)',
    });
  });

  it('GPU reserved for a VM', async () => {
    const root = await copyFixture('nvidia-h100');
    const link = path.join(root, 'sys/bus/pci/devices/0000:18:00.0/driver');
    await rm(link);
    await symlink('../../../bus/pci/drivers/vfio-pci', link);
    expect((await nvidia(root)).container).toMatchObject({
      ready: false,
      reason: 'bound to vfio-pci (reserved for a virtual machine)',
    });
  });

  it('AMD without /dev/kfd', async () => {
    const root = await copyFixture('amd-mi210');
    await rm(path.join(root, 'dev/kfd'));
    const [gpu] = (await detectGpus(root, { runner: null })).accelerators;
    expect(gpu!.deviceNodes).toEqual(['/dev/dri/card1', '/dev/dri/renderD128']);
    expect(gpu!.container).toMatchObject({
      ready: false,
      reason: 'amdgpu loaded but /dev/kfd is missing (no ROCm compute interface)',
    });
  });

  it('Intel without a render node', async () => {
    const root = await copyFixture('intel-igpu');
    await rm(path.join(root, 'dev/dri/renderD128'));
    expect((await detectGpus(root, { runner: null })).accelerators[0]!.container).toMatchObject({
      ready: false,
      reason: 'i915 loaded but this GPU has no /dev/dri render node',
    });
  });
});
