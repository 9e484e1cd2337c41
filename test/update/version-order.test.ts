// "Versions only go up" (`blueprint system update`, `apply`'s `system:`) for the versions the image
// build gives a box: `--system-version` takes a pre-release (2.0.0-rc.10) and build metadata
// (2.0.1+b2). Each is judged in semantic-version order, or refused as one that cannot be ordered,
// never waved through: a bundle the box's CA signed long ago must not go back a version unasked.
// The real RAUC 1.8 service of test/update/rauc-sandbox.ts, bundles signed by the box's CA.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { makeKey, tempDir } from '../helpers/pkg.js';
import { cliIn, raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(missing)(
  `system versions only go up, in semantic-version order${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = raucForSuite();
    const versionFile = () => path.join(box.root, 'usr/lib/blueprint/system-version');
    /** The version the running image's build wrote (the sandbox runs slot A's 1.0.0). */
    const running = (v: string) => writeFileSync(versionFile(), `${v}\n`);
    afterEach(() => running('1.0.0'));
    const cli = (...args: string[]) => cliIn(box.root, ...args);

    /** `system update BUNDLE` is refused as not newer, and slot B and the loader entries stay. */
    async function refusedAsNotNewer(bundle: string) {
      const before = { slot: sha(box.slots.B), entries: box.entries() };
      const r = await cli('--json', 'system', 'update', bundle);
      expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'bundle-not-newer' } });
      expect(r.code).toBe(5);
      expect({ slot: sha(box.slots.B), entries: box.entries() }).toEqual(before);
    }

    it('a later pre-release is newer: rc.9 is older than the running rc.10 (numbers, not text)', async () => {
      running('2.0.0-rc.10');
      await refusedAsNotNewer(box.bundle('2.0.0-rc.9'));
    });

    it('build metadata does not make an older version newer: 2.0.0+1 under a running 2.0.1', async () => {
      running('2.0.1');
      await refusedAsNotNewer(box.bundle('2.0.0+1'));
    });

    it('the same version with a build of its own is not newer than the running build', async () => {
      running('2.0.0+b2');
      await refusedAsNotNewer(box.bundle('2.0.0+b1'));
    });

    it('a running version that cannot be ordered refuses what it cannot judge, unless forced', async () => {
      running('2.0.0~beta');
      const bundle = box.bundle('2.0.0~alpha');
      const before = { slot: sha(box.slots.B), entries: box.entries() };
      const r = await cli('system', 'update', bundle);
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/2\.0\.0~alpha cannot be ordered against the running 2\.0\.0~beta/);
      expect(r.err).toMatch(/hint: .*--force/);
      expect({ slot: sha(box.slots.B), entries: box.entries() }).toEqual(before);
      const forced = await cli('--json', 'system', 'update', '--force', bundle);
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.out)).toMatchObject({ forced: true, slot: { bootname: 'B', next: true } });
      expect((await cli('system', 'rollback')).code).toBe(0);
    });

    it('a final release is newer than its release candidate, and installs on trial', async () => {
      running('2.0.0-rc.10');
      const r = await cli('--json', 'system', 'update', box.bundle('2.0.0'));
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ forced: false, slot: { bootname: 'B', next: true } });
      // Undone, so slot A stays the one that boots.
      expect((await cli('system', 'rollback')).code).toBe(0);
      expect((await openBox(box.root).system.status()).next).toBe('rootfs.0');
    });

    it("apply's system: in the same order: an older pre-release is blocked, a version it cannot order too", async () => {
      const work = tempDir('bp-sysorder-');
      const key = await makeKey(path.join(work, 'key'), { name: 'Fleet system updates' });
      const spec = (version: string) => {
        const file = path.join(work, 'appliance.yaml');
        writeFileSync(
          file,
          `hostname: edge-17\nrepositories:\n  - { name: updates, url: "file://${work}/repo", key: "${key.publicFile}", fingerprint: "${key.fingerprint}" }\nsystem: { version: ${version}, from: updates }\n`,
        );
        return file;
      };
      const plan = async (version: string) => {
        const r = await cli('--json', 'apply', '-f', spec(version), '--dry-run');
        return { code: r.code, blocked: JSON.parse(r.out).blocked };
      };
      running('2.0.0-rc.10');
      expect(await plan('2.0.0-rc.9')).toEqual({
        code: 1,
        blocked: [
          'system 2.0.0-rc.9 is older than the running 2.0.0-rc.10; versions only go up unless system.force is true',
        ],
      });
      running('2.0.0~beta');
      expect(await plan('2.0.1')).toEqual({
        code: 1,
        blocked: [
          'system 2.0.1 cannot be ordered against the running 2.0.0~beta, which is no semantic version; versions only go up, so it is applied only if system.force is true',
        ],
      });
    });
  },
);
