// KEYS2 (left by FLEET2): apply's `system:` change updates the repository's index before the
// system update, as `bpkg install` does, and so follows a key rotation notice there: the box came to
// trust the publisher's new key, and apply's `changed` did not say so (its package installs list
// `+ key NEW (trust key of NAME (its rotation notice))` since 95522de0). Now the system change lists
// it the same way. Real RAUC 1.8 (test/update/rauc-sandbox.ts), real OpenPGP keys, `repo rotate-key`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRepository } from '../../src/app/publish.js';
import { makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import { rotateKey } from '../helpers/rotate-key.js';
import { cliIn, RaucSandbox, raucMissing } from '../update/rauc-sandbox.js';

const missing = raucMissing();

describe.skipIf(missing)(
  `apply -f system: after a key rotation (real RAUC${missing ? `, skipped: ${missing}` : ''})`,
  () => {
    const box = new RaucSandbox();
    const work = tempDir('bp-apply-sysrot-');
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    let old: TestKey;
    let next: TestKey;
    const repoDir = path.join(work, 'repo');
    const spec = (system?: string) => {
      const file = path.join(work, 'appliance.yaml');
      writeFileSync(
        file,
        `hostname: edge-17\nrepositories:\n  - { name: updates, url: "file://${repoDir}", key: "${old.publicFile}", fingerprint: "${old.fingerprint}" }\n${system ? `system: ${system}\n` : ''}`,
      );
      return file;
    };
    const apply = (...args: string[]) => cliIn(box.root, '--json', 'apply', ...args);

    beforeAll(async () => {
      await box.start();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = box.env.DBUS_SYSTEM_BUS_ADDRESS;
      old = await makeKey(path.join(work, 'old'), { name: 'Fleet system updates' });
      next = await makeKey(path.join(work, 'next'), { name: 'Fleet system updates 2' });
      await buildRepository({
        sources: [box.bundle('2.0.0')],
        repoDir,
        name: 'updates',
        signer: { keyFile: old.privateFile },
        expiresInDays: 30,
      });
    }, 120_000);
    afterAll(async () => {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
      await box.stop();
    });

    it('lists the key the system update came to trust by the rotation notice', async () => {
      const first = await apply('-f', spec());
      expect(first.code, first.err).toBe(0);
      // The publisher rotates to the new key and signs the repository with it.
      expect((await rotateKey(repoDir, old, next)).code).toBe(0);
      await buildRepository({
        sources: [box.bundle('3.0.0')],
        repoDir,
        name: 'updates',
        signer: { keyFile: next.privateFile },
        expiresInDays: 30,
      });
      // The fleet's file still pins the old key (it has not changed yet) and asks for 2.0.0.
      const r = await apply('-f', spec('{ version: 2.0.0, from: updates }'));
      expect(r.code, r.err).toBe(0);
      const changed = JSON.parse(r.out).changed as {
        action: string;
        kind: string;
        target: string;
        what: string;
      }[];
      expect(changed).toContainEqual(expect.objectContaining({ kind: 'system', target: '2.0.0' }));
      expect(changed).toContainEqual({
        action: 'create',
        kind: 'key',
        target: next.fingerprint.toUpperCase(),
        what: 'trust key of updates (its rotation notice)',
      });
      expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
    });
  },
);
