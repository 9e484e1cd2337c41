// `blueprint system update FILE` against a real RAUC 1.8 service (test/update/rauc-sandbox.ts).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as copyHashed from '../../src/core/system/copy-hashed.js';
import { installBundle, type RaucRunner } from '../../src/core/update/index.js';
import { raucForSuite, raucMissing } from '../update/rauc-sandbox.js';

/**
 * The bundle was read twice by its path: `rauc info` (compatible, version: judged to go up), then
 * `rauc install`. A file that changes between the two reads (a hostile USB stick or network file
 * system serving other bytes on the second open) gave `info` a newer signed bundle and `install` an
 * older signed one: RAUC checks the signature and compatible again, not the version, so the box
 * was downgraded to a release with known holes without --force. The file is now copied once
 * (hashed) into a root-only folder, and RAUC is handed that copy for both steps.
 */
vi.mock('../../src/core/system/copy-hashed.js', async (orig) => {
  const real = await orig<typeof import('../../src/core/system/copy-hashed.js')>();
  return { ...real, freeSpace: vi.fn(real.freeSpace) };
});

const missing = raucMissing();

describe.skipIf(missing)(`a RAUC bundle is read once${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = raucForSuite();
  const workDir = () => path.join(box.dir, 'cache/system-update');
  const deps = (rauc: RaucRunner) => ({
    rauc,
    versionFile: path.join(box.root, 'usr/lib/blueprint/system-version'),
  });
  const left = () => {
    mkdirSync(workDir(), { recursive: true });
    return readdirSync(workDir());
  };

  /** The runner, with the file at `file` becoming `other` as soon as `rauc info` has read it. */
  const swappingAfterInfo = (file: string, other: string): RaucRunner => {
    const real = box.rauc();
    return {
      async run(args, opts) {
        const r = await real.run(args, opts);
        if (args[0] === 'info') copyFileSync(other, file);
        return r;
      },
    };
  };

  it('a file that serves a newer bundle to `rauc info` and an older one after: the newer is installed', async () => {
    const served = path.join(box.dir, 'usb-stick.raucb');
    copyFileSync(box.bundle('2.0.0'), served);
    const older = box.bundle('0.9.0');
    const r = await installBundle(deps(swappingAfterInfo(served, older)), served, { workDir: workDir() });
    expect(r.bundle.version).toBe('2.0.0');
    // What slot B really holds now: the kernel the bootloader backend copied from it.
    expect(readFileSync(path.join(box.esp, 'blueprint-b/vmlinuz'), 'utf8')).toBe('kernel 2.0.0\n');
    expect(r.status.slots.find((s) => s.bootname === 'B')?.bundle.version).toBe('2.0.0');
    expect(left()).toEqual([]);
    // Undone (the running slot boots next again), so the next test starts on A.
    for (const step of [
      ['mark-active', 'booted'],
      ['mark-good', 'booted'],
      ['mark-bad', 'other'],
    ])
      expect((await box.rauc().run(['status', ...step])).code).toBe(0);
  });

  it('the copy is removed when the bundle is refused (not newer, or signed by a stranger)', async () => {
    // A copy left by a process that died (SIGKILL, power cut) is removed; a running one's is not.
    const uuid = '0b5e7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
    const dead = `.bundle-4194305-${uuid}.raucb`;
    // Another running process's (the test runner's parent): one of this process's own pid that it
    // is not using is an earlier process's, removed (private-copy-pid-reused).
    const running = `.bundle-${process.ppid}-${uuid}.raucb`;
    mkdirSync(workDir(), { recursive: true });
    for (const name of [dead, running]) writeFileSync(path.join(workDir(), name), 'old copy');
    await expect(
      installBundle(deps(box.rauc()), box.bundle('1.0.0'), { workDir: workDir() }),
    ).rejects.toMatchObject({ code: 'bundle-not-newer' });
    expect(left()).toEqual([running]);
    rmSync(path.join(workDir(), running));
    const stranger = box.bundle('2.0.1', box.stranger);
    await expect(installBundle(deps(box.rauc()), stranger, { workDir: workDir() })).rejects.toMatchObject({
      code: 'bundle-refused',
    });
    expect(left()).toEqual([]);
  });

  it('not enough free space for the copy: refused with the sizes, before a byte is copied or RAUC asked', async () => {
    const bundle = box.bundle('2.0.2');
    vi.mocked(copyHashed.freeSpace).mockResolvedValueOnce({ bytes: 4096, dev: 0 });
    const calls: string[][] = [];
    const rauc: RaucRunner = {
      run(args, o) {
        calls.push(args);
        return box.rauc().run(args, o);
      },
    };
    await expect(installBundle(deps(rauc), bundle, { workDir: workDir() })).rejects.toMatchObject({
      code: 'disk-full',
      message: expect.stringMatching(
        /Not enough free space to copy the bundle: .* needed under .*system-update/,
      ),
    });
    expect(calls.filter((a) => a[0] !== 'status')).toEqual([]);
    expect(left()).toEqual([]);
  });
});
