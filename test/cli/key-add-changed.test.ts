import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

/**
 * QA20's fleet walk: an Ansible task trusting the fleet's key (and, later, giving every box the old
 * key's revocation certificate) with `bpkg --json key add` got the same document whether the box
 * already trusted the key or not, so the task could only be always `changed` or never. Now --json
 * has `changed` (false when the key, or its revocation, was there already) and the text says
 * 'already trusted' / 'already revoked'.
 */
describe('bpkg key add, run again', () => {
  it('says whether it changed anything', async () => {
    const work = tempDir('bp-keyagain-');
    const key = await makeKey(path.join(work, 'key'));
    const root = tempDir('bp-keyagain-root-');
    const add = async (...args: string[]) => {
      const r = await bpkg(root, ['--json', 'key', 'add', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { changed: boolean; revoked: boolean };
    };
    expect(await add(key.publicFile, '--fingerprint', key.fingerprint)).toMatchObject({ changed: true });
    expect(await add(key.publicFile, '--fingerprint', key.fingerprint)).toMatchObject({ changed: false });
    const again = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    expect(again.stdout).toMatch(/^already trusted /);
    const cert = path.join(work, 'revocation.asc');
    writeFileSync(cert, key.revocationCertificate);
    expect(await add(cert)).toMatchObject({ changed: true, revoked: true });
    expect(await add(cert)).toMatchObject({ changed: false, revoked: true });
    expect((await bpkg(root, ['key', 'add', cert])).stdout).toMatch(/^already revoked /);
  });
});
