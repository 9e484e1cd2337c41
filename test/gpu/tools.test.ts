import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { detectGpus, execaRunner } from '../../src/core/gpu/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { FIXTURES, fixtureRoot } from './helpers.js';

// Fake vendor tools on a PATH of their own, run through the real execa runner.
const bin = tempDir('bp-gpu-tools-');
const PATH_WITH = () => ({ PATH: `${bin}:/usr/bin:/bin` });

async function tool(name: string, script: string) {
  const file = path.join(bin, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
}

afterAll(async () => {
  // The hanging tool's child outlives it on purpose; end it by its pid.
  const pid = Number(await readFile(path.join(bin, 'child.pid'), 'utf8').catch(() => ''));
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

describe('vendor tools through execa', () => {
  it('a working nvidia-smi fills in memory', async () => {
    const csv = path.join(FIXTURES, 'nvidia-h100/tools/nvidia-smi.csv');
    await tool(
      'nvidia-smi',
      `[ "$1" = --query-gpu=name,pci.bus_id,memory.total,driver_version,uuid ] || exit 2\ncat '${csv}'`,
    );
    const report = await detectGpus(fixtureRoot('nvidia-h100'), {
      runner: execaRunner({ env: PATH_WITH() }),
    });
    expect(report.tools[0]).toMatchObject({ tool: 'nvidia-smi', status: 'ok' });
    expect(report.accelerators[0]!.memoryBytes).toBe(81559 * 2 ** 20);
  });

  it('a failing nvidia-smi is reported with its message; the kernel view stays', async () => {
    await tool(
      'nvidia-smi',
      `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."\nexit 9`,
    );
    const report = await detectGpus(fixtureRoot('nvidia-h100'), {
      runner: execaRunner({ env: PATH_WITH() }),
    });
    expect(report.tools).toEqual([
      {
        tool: 'nvidia-smi',
        status: 'failed',
        detail:
          "nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
      },
    ]);
    expect(report.accelerators[0]).toMatchObject({ model: 'NVIDIA H100 80GB HBM3', memoryBytes: null });
  });

  it('a missing rocm-smi is reported as missing', async () => {
    const report = await detectGpus(fixtureRoot('amd-mi210'), {
      runner: execaRunner({ env: { PATH: `${bin}/nothing-here` } }),
    });
    expect(report.tools).toEqual([
      { tool: 'rocm-smi', status: 'missing', detail: 'rocm-smi is not installed' },
    ]);
    expect(report.accelerators[0]!.container.ready).toBe(true);
  });

  it('a hung nvidia-smi does not hang detection, even when its child holds the output open', async () => {
    // Ignores SIGTERM, and leaves a child with our stdout pipe that lives longer than this test's
    // timeout: without the runner's own deadline, execa would wait for that pipe to close.
    await tool('nvidia-smi', `sleep 600 &\necho $! > '${bin}/child.pid'\ntrap '' TERM\nwait`);
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap' || r === 'ProcessWrap');
    const before = handles();
    const report = await detectGpus(fixtureRoot('nvidia-h100'), {
      runner: execaRunner({ env: PATH_WITH(), timeoutMs: 300 }),
    });
    expect(report.tools).toEqual([
      { tool: 'nvidia-smi', status: 'timeout', detail: 'nvidia-smi did not answer within 300 ms' },
    ]);
    expect(report.accelerators[0]).toMatchObject({
      model: 'NVIDIA H100 80GB HBM3',
      container: { ready: true },
    });
    // Nothing of the tool keeps Node alive: `blueprint gpu` exits although the child still runs.
    // (Closing a destroyed pipe takes a few turns of the event loop.)
    await vi.waitFor(() => expect(handles()).toEqual(before), { timeout: 5000 });
  }, 20_000);

  it('under a --root other than /, the host tools are not run by default', async () => {
    await tool('nvidia-smi', `touch '${bin}/ran'`);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const report = await detectGpus(fixtureRoot('nvidia-h100'));
      expect(report.tools).toEqual([]);
    } finally {
      process.env.PATH = saved;
    }
    await expect(readFile(path.join(bin, 'ran'))).rejects.toThrow(/ENOENT/);
  });
});
