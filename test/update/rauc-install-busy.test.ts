// RAUC busy at the install itself: `rauc status` answered (the check before the update) but
// another session's update began in between, and `rauc install` was answered 'already processing a
// different method'. That was said as 'the update failed: … / The running system is unchanged …;
// see journalctl -u rauc', exit 1, where the same answer to `rauc status` is said as busy, exit 5
// (test/update/rauc-busy, QA7's note). RAUC 1.8's answers as recorded (test/update/fixtures).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeContext } from '../../src/app/context.js';
import { systemOps } from '../../src/app/update.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const BUSY =
  'Error: installing bundle failed: error calling D-Bus method "InstallBundle": already processing a different method\n';

describe('RAUC busy when the install is asked', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bp-rauc-install-busy-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const rauc = {
    run: async (args: string[]) =>
      args[0] === 'status'
        ? { code: 0, stdout: fixture('rauc-1.8-status-after-install.json'), stderr: '' }
        : args[0] === 'info'
          ? { code: 0, stdout: fixture('rauc-1.8-info.json'), stderr: '' }
          : { code: 1, stdout: '', stderr: BUSY },
  };

  it('is refused as busy, exit 5, with when to run it again', async () => {
    const file = path.join(root, 'b.raucb');
    writeFileSync(file, 'x');
    await expect(systemOps(makeContext(root, {}), rauc).update(file, { force: true })).rejects.toMatchObject({
      code: 'rauc-busy',
      exitCode: 5,
      hint: expect.stringMatching(/run the command again/),
    });
  });
});
