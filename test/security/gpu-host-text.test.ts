/**
 * What the host says about its GPUs is text from hardware and files blueprint did not write: a
 * board's FRU name (amdgpu's product_name), the NVIDIA driver's information file, a CDI spec (its
 * device names, its YAML error). Checked here: none of it reaches the admin's terminal unescaped
 * through `blueprint gpu`, and none of it adds a device to a service's container: an AMD/Intel
 * service gets /dev/kfd and /dev/dri/renderD<N> only (names the kernel's pattern allows), an
 * NVIDIA one only a CDI name of a spec's own device, and a service that asks for no GPU nothing.
 * (Checked and found sound when this file was written; it guards against a regression.)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { detectGpus } from '../../src/core/gpu/index.js';
import { planFromReport, planGpuAccess } from '../../src/core/gpu/plan.js';
import { copyFixture } from '../gpu/helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/blueprint');
const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const hostile = '\x1b]0;owned\x07\x1b[2J\r\u202eevil\u009b31m';

const blueprint = (...args: string[]) => execa(BIN, args, { reject: false, env: { NO_COLOR: '1' } });

function expectClean(text: string) {
  for (const line of text.split('\n')) expect([line, UNSAFE.exec(line)]).toEqual([line, null]);
}

describe('GPU text from the host', () => {
  it("an AMD board's product name with escape sequences is shown escaped, and adds no device", async () => {
    const root = await copyFixture('amd-mi210');
    const dev = path.join(root, 'sys/bus/pci/devices/0000:83:00.0');
    await writeFile(path.join(dev, 'product_name'), `${hostile}\n`);
    // A drm entry that is not a kernel name, and one that climbs: neither is a device to pass.
    await mkdir(path.join(dev, 'drm/renderD128..'), { recursive: true });
    await mkdir(path.join(dev, 'drm/mem'), { recursive: true });
    await writeFile(path.join(root, 'dev/mem'), '');
    const run = await blueprint('--root', root, 'gpu');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('\\x1b]0;owned');
    expectClean(run.stdout);
    expectClean(run.stderr);
    const plan = await planGpuAccess(root, 'optional');
    expect(plan.devices).toEqual(['/dev/kfd', '/dev/dri/renderD128']);
    expect(plan.reason).toContain('evil'); // the model name, as data
    expect(await planGpuAccess(root, 'none')).toMatchObject({ use: false, devices: [], cdiDevices: [] });
  });

  it("the NVIDIA driver's model line and a CDI spec's device names and YAML error reach the terminal escaped; a spec device name only ever becomes a CDI name", async () => {
    const root = await copyFixture('nvidia-h100');
    const info = path.join(root, 'proc/driver/nvidia/gpus/0000:18:00.0/information');
    await writeFile(
      info,
      `Model: \t\t ${hostile}\nGPU UUID: \t GPU-8f6e9a3c-5b21-4d7e-a0c4-2f1b9d3e7a56\nDevice Minor: \t 0\n`,
    );
    // A second spec whose YAML is broken by a line holding escape sequences (its error quotes it).
    await writeFile(path.join(root, 'etc/cdi/broken.yaml'), `cdiVersion: 0.5.0\nkind: [${hostile}\n`);
    // A spec of another kind whose device name carries a path and a device mapping.
    await writeFile(
      path.join(root, 'etc/cdi/odd.json'),
      JSON.stringify({
        cdiVersion: '0.5.0',
        kind: 'example.com/gpu',
        devices: [
          { name: `0:/dev/mem${hostile}`, containerEdits: { deviceNodes: [{ path: '/dev/nvidia0' }] } },
        ],
      }),
    );
    const run = await blueprint('--root', root, 'gpu');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('\\x1b]0;owned'); // the model line, shown
    expectClean(run.stdout);
    expectClean(run.stderr);
    const report = await detectGpus(root, { runner: null });
    const plan = planFromReport(report, 'optional');
    expect(plan.use).toBe(true);
    expect(plan.devices).toEqual([]);
    for (const name of plan.cdiDevices)
      expect(name).toMatch(/^nvidia\.com\/gpu=[A-Za-z0-9][A-Za-z0-9_.:-]*$/);
    expect(plan.cdiDevices.join()).not.toContain('/dev/mem');
  });
});
