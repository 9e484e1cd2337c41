import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { planGpuAccess } from '../../src/core/gpu/index.js';
import { copyFixture, fixtureRoot } from './helpers.js';

describe('planGpuAccess', () => {
  it('NVIDIA: the CDI device for all GPUs, nothing else', async () => {
    expect(await planGpuAccess(fixtureRoot('nvidia-h100'), 'required')).toEqual({
      use: true,
      vendor: 'nvidia',
      cdiDevices: ['nvidia.com/gpu=all'],
      devices: [],
      reason: 'NVIDIA H100 80GB HBM3 through CDI nvidia.com/gpu=all',
    });
  });

  it('mixed box: the NVIDIA card is preferred over the integrated GPU', async () => {
    expect(await planGpuAccess(fixtureRoot('mixed'), 'optional')).toMatchObject({
      use: true,
      vendor: 'nvidia',
      cdiDevices: ['nvidia.com/gpu=all'],
      devices: [],
    });
  });

  it('mixed box whose NVIDIA card has no CDI spec: falls back to the Intel GPU', async () => {
    const root = await copyFixture('mixed');
    await rm(path.join(root, 'var/run/cdi/nvidia.yaml'));
    expect(await planGpuAccess(root, 'required')).toEqual({
      use: true,
      vendor: 'intel',
      cdiDevices: [],
      devices: ['/dev/dri/renderD128'],
      reason: 'Intel UHD Graphics 770 through /dev/dri/renderD128',
    });
  });

  it('AMD: /dev/kfd and the render node', async () => {
    expect(await planGpuAccess(fixtureRoot('amd-mi210'), 'required')).toEqual({
      use: true,
      vendor: 'amd',
      cdiDevices: [],
      devices: ['/dev/kfd', '/dev/dri/renderD128'],
      reason: 'AMD Instinct MI210 through /dev/kfd, /dev/dri/renderD128',
    });
  });

  it('Intel: the render node only (not the display node card0)', async () => {
    expect(await planGpuAccess(fixtureRoot('intel-igpu'), 'optional')).toMatchObject({
      use: true,
      vendor: 'intel',
      devices: ['/dev/dri/renderD128'],
    });
  });

  it('optional without a GPU runs on CPU and says so', async () => {
    for (const fixture of ['none', 'nvidia-nouveau', 'nvidia-nodriver'])
      expect(await planGpuAccess(fixtureRoot(fixture), 'optional')).toEqual({
        use: false,
        cdiDevices: [],
        devices: [],
        reason: 'no usable GPU: running on CPU',
      });
  });

  it('none: no GPU even on a GPU box', async () => {
    expect(await planGpuAccess(fixtureRoot('nvidia-h100'), 'none')).toMatchObject({
      use: false,
      cdiDevices: [],
    });
  });

  it('required without any GPU: gpu-required, saying none was found', async () => {
    const err = await planGpuAccess(fixtureRoot('none'), 'required').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect(err).toMatchObject({
      code: 'gpu-required',
      message: 'This service needs a GPU, but no NVIDIA, AMD or Intel GPU was found on this box',
    });
  });

  it('required with an unusable GPU: names the GPU, what is missing and the fix', async () => {
    const err = await planGpuAccess(fixtureRoot('nvidia-nouveau'), 'required').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'gpu-required',
      message:
        'This service needs a GPU, but none is usable: NVIDIA GeForce GTX 1080 (0000:01:00.0): bound to nouveau, which has no CUDA',
      hint: 'Install the NVIDIA driver (Debian: `apt install nvidia-driver` from non-free; it blacklists nouveau) and reboot, then start the service again (`blueprint gpu` shows every GPU).',
    });
  });

  it('required with the driver but no CDI spec: the hint is the nvidia-ctk command', async () => {
    const root = await copyFixture('nvidia-h100');
    await rm(path.join(root, 'etc/cdi/nvidia.yaml'));
    await expect(planGpuAccess(root, 'required')).rejects.toMatchObject({
      code: 'gpu-required',
      message: expect.stringContaining('NVIDIA driver loaded but no CDI spec'),
      hint: expect.stringMatching(/^Run `nvidia-ctk cdi generate --output \/etc\/cdi\/nvidia.yaml`, then/),
    });
  });

  it('two NVIDIA GPUs, one broken: names the working one instead of `all`', async () => {
    const root = await copyFixture('nvidia-h100');
    // A second H100 whose driver binding failed (no /proc entry for it).
    const second = path.join(root, 'sys/bus/pci/devices/0000:2a:00.0');
    await cp(path.join(root, 'sys/bus/pci/devices/0000:18:00.0'), second, {
      recursive: true,
      verbatimSymlinks: true,
    });
    const plan = await planGpuAccess(root, 'required');
    expect(plan.cdiDevices).toEqual(['nvidia.com/gpu=0']);
  });
});
