// A bundle cut short on its way to the box (a copy to a USB stick pulled too early, a download
// that stopped) or a file that is no bundle at all: real RAUC 1.8 (rauc-sandbox.ts) says "Invalid
// bundle format: Signature size (…) exceeds bundle size". The admin must learn that the file is
// damaged and to copy it again, not be sent to the box's keyring as for a stranger's signature.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliIn, raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();

describe.skipIf(missing)(
  `system update of a damaged bundle${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    const box = raucForSuite();

    it('a truncated bundle and a file that is no bundle: refused as damaged, exit 4, nothing written', async () => {
      const bytes = readFileSync(box.bundle('2.0.0'));
      const cut = path.join(box.dir, 'cut.raucb');
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
      const junk = path.join(box.dir, 'junk.raucb');
      writeFileSync(junk, 'not a bundle\n'.repeat(100));
      for (const file of [cut, junk]) {
        const r = await cliIn(box.root, 'system', 'update', file);
        expect(r.code).toBe(4);
        expect(r.err).toMatch(/error: .*not a whole RAUC bundle.*Invalid bundle format/);
        expect(r.err).toMatch(/hint: .*cut short.*copy it again/i);
        expect(r.err).not.toMatch(/keyring/);
        const j = await cliIn(box.root, '--json', 'system', 'update', file);
        expect(JSON.parse(j.out)).toMatchObject({ error: { code: 'bundle-damaged' } });
      }
      expect(box.entries()).toEqual(['blueprint-a.conf']);
      // A stranger's signature is still the keyring's matter.
      const r = await cliIn(box.root, 'system', 'update', box.bundle('2.0.1', box.stranger));
      expect(r.code).toBe(4);
      expect(r.err).toMatch(/hint: It is signed by a certificate this box’s RAUC keyring .* does not hold/);
    }, 60_000);
  },
);
