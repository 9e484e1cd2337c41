import { describe, expect, it } from 'vitest';
import { detectGpus } from '../../src/core/gpu/index.js';
import { gpuRows, gpuSummary } from '../../src/present/gpu.js';
import { coreSources } from '../../src/tui/sources.js';
import { fixtureRoot, recordedRunner } from './helpers.js';

const report = (name: string) => detectGpus(fixtureRoot(name), { runner: recordedRunner(name) });

describe('dashboard lines', () => {
  it('summarizes the best GPU in one line', async () => {
    expect(gpuSummary(await report('none'))).toBe('no GPU: services run on CPU');
    expect(gpuSummary(await report('nvidia-h100'))).toBe('NVIDIA H100 80GB HBM3: CUDA ready');
    expect(gpuSummary(await report('mixed'))).toBe('NVIDIA GeForce RTX 4090 (+1 more): CUDA ready');
    expect(gpuSummary(await report('nvidia-nouveau'))).toBe(
      'NVIDIA GeForce GTX 1080: not usable (bound to nouveau, which has no CUDA)',
    );
  });

  it('gives one table row per GPU', async () => {
    expect(gpuRows(await report('amd-mi210'))).toEqual([
      {
        vendor: 'AMD',
        name: 'AMD Instinct MI210',
        detail: 'ROCm ready: /dev/kfd + /dev/dri/renderD128',
      },
    ]);
  });
});

describe('the TUI source', () => {
  it('gives the GPU rows of the root it manages', async () => {
    expect(await coreSources(fixtureRoot('intel-igpu')).gpus()).toEqual({
      available: true,
      value: [
        {
          vendor: 'Intel',
          name: 'Intel Iris Xe Graphics',
          detail: 'Level Zero ready: /dev/dri/renderD128 (group render)',
        },
      ],
    });
  });
});
