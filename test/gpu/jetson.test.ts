// Jetson (Tegra) integrated GPUs (issue 22): found through nvgpu's sysfs and device nodes, not PCI,
// on fixture roots composed from NVIDIA's Jetson Linux documentation (test/fixtures/gpu/jetson-*/SOURCE.md).
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectGpus, planFromReport } from '../../src/core/gpu/index.js';
import { parseTegraRelease } from '../../src/core/gpu/tegra.js';
import { copyFixture, fixtureRoot } from './helpers.js';

const ORIN_NODES = [
  '/dev/nvmap',
  '/dev/nvgpu/igpu0/ctrl',
  '/dev/nvgpu/igpu0/as',
  '/dev/nvgpu/igpu0/channel',
  '/dev/nvgpu/igpu0/tsg',
  '/dev/nvhost-ctrl',
];

describe('Jetson integrated GPU', () => {
  it('AGX Orin on Jetson Linux 36: nvgpu, /dev/nvgpu/igpu0, CUDA through the CSV-mode CDI spec', async () => {
    const report = await detectGpus(fixtureRoot('jetson-orin'), { runner: null });
    expect(report.accelerators).toEqual([
      {
        vendor: 'nvidia',
        model: 'NVIDIA Jetson AGX Orin Developer Kit integrated GPU',
        pciAddress: 'platform:17000000.gpu',
        pciId: 'nvidia,tegra234',
        memoryBytes: null,
        driver: { name: 'nvgpu', version: '36.3.0', inTree: false },
        deviceNodes: ORIN_NODES,
        container: {
          runtime: 'cuda',
          ready: true,
          reason: 'CUDA ready through CDI nvidia.com/gpu=all (/etc/cdi/nvidia.yaml)',
          cdiDevice: 'nvidia.com/gpu=all',
          cdiAll: 'nvidia.com/gpu=all',
          cdiSpec: '/etc/cdi/nvidia.yaml',
        },
      },
    ]);
    // A service asking for a GPU gets the Jetson's through CDI, like a discrete NVIDIA GPU.
    expect(planFromReport(report, 'optional')).toMatchObject({
      use: true,
      vendor: 'nvidia',
      cdiDevices: ['nvidia.com/gpu=all'],
    });
  });

  it('Nano on L4T 32: the /dev/nvhost-*-gpu nodes, and no CDI spec says how to make one in CSV mode', async () => {
    const [gpu] = (await detectGpus(fixtureRoot('jetson-nano'), { runner: null })).accelerators;
    expect(gpu).toMatchObject({
      model: 'NVIDIA Jetson Nano Developer Kit integrated GPU',
      pciAddress: 'platform:57000000.gpu',
      pciId: 'nvidia,tegra210',
      driver: { name: 'nvgpu', version: '32.7.4' },
      deviceNodes: [
        '/dev/nvmap',
        '/dev/nvhost-ctrl-gpu',
        '/dev/nvhost-gpu',
        '/dev/nvhost-as-gpu',
        '/dev/nvhost-ctrl',
      ],
      container: {
        ready: false,
        reason: 'nvgpu loaded but no CDI spec',
        fix: 'run `nvidia-ctk cdi generate --mode=csv --output /etc/cdi/nvidia.yaml`',
      },
    });
    let refused: unknown;
    try {
      planFromReport({ accelerators: [gpu!], tools: [], cdiSpecs: [] }, 'required');
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'gpu-required', hint: expect.stringMatching(/--mode=csv/) });
  });

  it('nvgpu not loaded, then loaded without its nodes: each names what to do', async () => {
    const root = await copyFixture('jetson-orin');
    await rm(path.join(root, 'dev/nvgpu'), { recursive: true });
    let [gpu] = (await detectGpus(root, { runner: null })).accelerators;
    expect(gpu!.container).toMatchObject({
      ready: false,
      reason: 'nvgpu loaded but /dev/nvgpu/igpu0/ctrl is missing',
    });
    await rm(path.join(root, 'sys/module/nvgpu'), { recursive: true });
    [gpu] = (await detectGpus(root, { runner: null })).accelerators;
    expect(gpu!.driver).toBeNull();
    expect(gpu!.container).toMatchObject({
      ready: false,
      reason: 'nvgpu is not loaded (no /sys/module/nvgpu)',
    });
  });

  it('Jetson Linux 35 names the devfreq entry after the GPU (17000000.ga10b)', async () => {
    const root = await copyFixture('jetson-orin');
    const { rename } = await import('node:fs/promises');
    await rename(
      path.join(root, 'sys/class/devfreq/17000000.gpu'),
      path.join(root, 'sys/class/devfreq/17000000.ga10b'),
    );
    await writeFile(
      path.join(root, 'etc/nv_tegra_release'),
      '# R35 (release), REVISION: 5.0, GCID: 1, BOARD: t186ref, EABI: aarch64, DATE: x\n',
    );
    const [gpu] = (await detectGpus(root, { runner: null })).accelerators;
    expect(gpu).toMatchObject({ pciAddress: 'platform:17000000.ga10b', driver: { version: '35.5.0' } });
  });

  it('an arm64 board that is not a Jetson (Raspberry Pi 5) has no accelerator', async () => {
    expect((await detectGpus(fixtureRoot('rpi5'), { runner: null })).accelerators).toEqual([]);
  });

  it('reads the release line of /etc/nv_tegra_release and nothing else', () => {
    expect(parseTegraRelease('# R36 (release), REVISION: 4.3, GCID: 1\n')).toBe('36.4.3');
    expect(parseTegraRelease('R36 REVISION 4.3')).toBeUndefined();
  });
});
