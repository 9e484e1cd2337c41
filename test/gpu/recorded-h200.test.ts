/**
 * The first fixture recorded on a real GPU machine (test/fixtures/gpu/nvidia-h200/SOURCE.md): an
 * NVIDIA H200 passed through to a Firecracker VM, recorded by scripts/device/gpu-record.sh, which
 * also ran `blueprint --json gpu` on that machine itself (live.json, live.txt). Detection over the
 * recorded files, with the recorded nvidia-smi output, must give what the real machine gave.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { detectGpus } from '../../src/core/gpu/index.js';
import { FIXTURES, fixtureRoot, recordedRunner } from './helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/blueprint');
const live = JSON.parse(readFileSync(path.join(FIXTURES, 'nvidia-h200/live.json'), 'utf8'));

describe('nvidia-h200, recorded on a real machine', () => {
  it('the recorded files and nvidia-smi output give the report the machine itself gave', async () => {
    const calls: string[][] = [];
    const report = await detectGpus(fixtureRoot('nvidia-h200'), {
      runner: recordedRunner('nvidia-h200', calls),
    });
    expect(report).toEqual(live);
    expect(calls).toEqual([
      ['nvidia-smi', '--query-gpu=name,pci.bus_id,memory.total,driver_version,uuid', '--format=csv,noheader'],
    ]);
    // What the real driver wrote, read as the composed fixtures assumed: model and minor from
    // /proc/driver/nvidia/gpus/ADDR/information, the version from its NVRM line, memory only from
    // nvidia-smi (143771 MiB), the six virtio functions of the VM ignored.
    const [gpu] = report.accelerators;
    expect(gpu).toMatchObject({
      model: 'NVIDIA H200',
      pciAddress: '0000:00:06.0',
      pciId: '10de:2335',
      memoryBytes: 143771 * 2 ** 20,
      driver: { name: 'nvidia', version: '580.159.04', inTree: false },
    });
    expect(report.accelerators).toHaveLength(1);
  });

  it('the built executable on the recorded tree: the same, but for what only nvidia-smi tells', async () => {
    // With --root, vendor tools are not run (they would describe this machine, not that tree).
    const run = await execa(BIN, ['--root', fixtureRoot('nvidia-h200'), '--json', 'gpu'], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const [liveGpu] = live.accelerators;
    expect(JSON.parse(run.stdout)).toEqual({
      ...live,
      accelerators: [{ ...liveGpu, memoryBytes: null }],
      tools: [],
    });

    const text = await execa(BIN, ['--root', fixtureRoot('nvidia-h200'), 'gpu'], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
    const liveText = readFileSync(path.join(FIXTURES, 'nvidia-h200/live.txt'), 'utf8');
    expect(text.stdout.trim()).toBe(liveText.replace('memory     140 GiB', 'memory     unknown').trim());
  });
});
