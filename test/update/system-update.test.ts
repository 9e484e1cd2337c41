// `blueprint system status|update|rollback` against a real RAUC 1.8 service (test/update/rauc-sandbox.ts):
// the image's bootloader backend writes systemd-boot loader entries with boot counting, and a
// reboot is simulated the way systemd-boot picks and counts entries.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { layout } from '../../src/core/system/paths.js';
import { cliIn, raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(missing)(
  `A/B system updates with real RAUC${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = raucForSuite();
    afterEach(() => vi.restoreAllMocks());
    const system = () => openBox(box.root).system;

    const cli = (...args: string[]) => cliIn(box.root, ...args);

    it('shows both slots of the factory image: A running 1.0.0 and next, B never written', async () => {
      const st = await system().status();
      expect(st.version).toBe('1.0.0');
      expect(st.booted).toBe('A');
      const [a, b] = st.slots;
      expect(a).toMatchObject({ bootname: 'A', booted: true, next: true, bootStatus: 'good' });
      expect(b).toMatchObject({ bootname: 'B', booted: false, next: false, bootStatus: 'bad' });
      const r = await cli('--json', 'system', 'status');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ booted: 'A', version: '1.0.0' });
    });

    it('refuses a tampered bundle with RAUC’s reason, writing nothing', async () => {
      const good = box.bundle('2.0.0');
      const bad = path.join(box.dir, 'tampered.raucb');
      const bytes = readFileSync(good);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      writeFileSync(bad, bytes);
      const before = { slot: sha(box.slots.B), entries: box.entries() };
      const r = await cli('system', 'update', bad);
      expect(r.code).toBe(4);
      expect(r.err).toMatch(/refused: signature verification failed/);
      expect(r.err).toMatch(/hint: .*nothing was written/);
      expect({ slot: sha(box.slots.B), entries: box.entries() }).toEqual(before);
      // RAUC read a private copy made on the box's own cache (not the image's /tmp, which is RAM),
      // and the copy is gone although the install failed.
      const copies = path.join(layout(box.root).cacheDir, 'system-update-file');
      expect(statSync(copies).mode & 0o077).toBe(0);
      expect(readdirSync(copies)).toEqual([]);
    });

    it('refuses a bundle signed by a certificate the keyring does not hold', async () => {
      const stranger = box.bundle('2.0.1', box.stranger);
      const before = sha(box.slots.B);
      await expect(system().update(stranger)).rejects.toMatchObject({
        code: 'bundle-refused',
        exitCode: 4,
        message: expect.stringMatching(/unable to get local issuer certificate/),
      });
      expect(sha(box.slots.B)).toBe(before);
    });

    it('refuses a version that does not go up unless forced', async () => {
      const same = box.bundle('1.0.0');
      const r = await cli('--json', 'system', 'update', same);
      expect(r.code).toBe(5);
      expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'bundle-not-newer' } });
      expect(r.err).toMatch(/hint: Versions only go up; pass --force/);
      expect(box.entries()).toEqual(['blueprint-a.conf']);
      // Forced, the same version installs; then undone by hand, so the next test starts on A again.
      const forced = await cli('--json', 'system', 'update', '--force', same);
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.out)).toMatchObject({ forced: true, slot: { bootname: 'B', next: true } });
      expect((await cli('system', 'rollback')).code).toBe(0);
      expect((await system().status()).next).toBe('rootfs.0');
    });

    it('installs v2 into slot B on trial; after the reboot B runs, and marked good it stays', async () => {
      const r = await system().update(box.bundle('2.0.0'));
      expect(r).toMatchObject({
        from: '1.0.0',
        bundle: { version: '2.0.0' },
        slot: { bootname: 'B', next: true },
      });
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
      expect(readFileSync(path.join(box.esp, 'blueprint-b/vmlinuz'), 'utf8')).toBe('kernel 2.0.0\n');
      expect(await box.reboot()).toBe('B');
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+2-1.conf']);
      const st = await system().markBooted('good');
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b.conf']);
      expect(st).toMatchObject({ booted: 'B', version: '2.0.0' });
      expect(st.slots.find((s) => s.booted)).toMatchObject({ bootname: 'B', bootStatus: 'good', next: true });
      expect(await box.reboot()).toBe('B');
    });

    it('v3 whose health check fails: marked bad, the next boot is back on v2 by itself', async () => {
      await system().update(box.bundle('3.0.0'));
      expect(box.entries()).toEqual(['blueprint-a+3.conf', 'blueprint-b.conf']);
      expect(await box.reboot()).toBe('A');
      expect((await system().status()).version).toBe('3.0.0');
      await system().markBooted('bad');
      expect(box.entries()).toEqual(['blueprint-a+0.conf', 'blueprint-b.conf']);
      expect(await box.reboot()).toBe('B');
      const st = await system().status();
      expect(st.version).toBe('2.0.0');
      expect(st.slots.find((s) => s.bootname === 'A')).toMatchObject({ bootStatus: 'bad', next: false });
    });

    it('a v4 that never reaches its health check: three tries, then back on v2 with no one at the box', async () => {
      await system().update(box.bundle('4.0.0'));
      for (const left of [2, 1, 0]) {
        expect(await box.reboot()).toBe('A'); // it boots, and hangs or dies before it is marked good
        expect(box.entries()).toContain(`blueprint-a+${left}-${3 - left}.conf`);
      }
      expect(await box.reboot()).toBe('B');
      expect((await system().status()).version).toBe('2.0.0');
    });

    it('rollback by hand: refused to the bad slot; to a good one it boots next', async () => {
      const r = await cli('system', 'rollback');
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/slot A is marked bad/);
      await system().update(box.bundle('5.0.0'));
      expect(await box.reboot()).toBe('A');
      await system().markBooted('good');
      const back = await cli('--json', 'system', 'rollback');
      expect(back.code).toBe(0);
      expect(JSON.parse(back.out)).toMatchObject({ slot: { bootname: 'B', next: true } });
      expect(await box.reboot()).toBe('B');
      expect((await system().status()).version).toBe('2.0.0');
    });

    it('has --help on each command', async () => {
      for (const c of ['status', 'update', 'rollback']) {
        const r = await cli('system', c, '--help');
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/Usage: blueprint system/);
      }
    });
  },
);
