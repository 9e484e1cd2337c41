import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bpkg, gpgKey, tempDir } from '../helpers/pkg.js';

const exec = promisify(execFile);

/**
 * QA20's fleet walk: the old key's revocation certificate sent to every box from Ansible was
 * refused (exit 4) on a box that did not trust the key (it had removed it, or never added it), and
 * nothing was kept there, so such a box could later trust the key again. A bare certificate cannot
 * be checked without the key it revokes (it is signed by that key): refused with an error naming
 * what to send. The revoked public key (gpg's export after importing the certificate), or the public
 * key and the certificate in one file, is recorded as revoked: exit 0, `changed`, and the same key
 * added later stays revoked. GnuPG made the key and the certificate.
 */
describe('bpkg key add: a revocation for a key the box does not trust', () => {
  it('is recorded when it comes with the key, and refused with what to send when bare', async () => {
    const g = await gpgKey();
    const env = { ...process.env, GNUPGHOME: g.home };
    // gpg writes a revocation certificate at key generation, its armor line behind a ':'.
    const rev = readFileSync(
      path.join(g.home, 'openpgp-revocs.d', `${g.fingerprint.toUpperCase()}.rev`),
      'utf8',
    ).replace(/^:-----BEGIN/m, '-----BEGIN');
    const work = tempDir('bp-revuntrusted-');
    const cert = path.join(work, 'revocation.asc');
    writeFileSync(cert, rev);
    const pub = path.join(work, 'key.asc');
    writeFileSync(pub, g.publicKey);
    const both = path.join(work, 'key-and-revocation.asc');
    writeFileSync(both, `${g.publicKey}\n${rev}`);
    await exec('gpg', ['--batch', '--import', cert], { env });
    const { stdout: revokedKey } = await exec('gpg', ['--batch', '--armor', '--export', g.fingerprint], {
      env,
    });
    const revoked = path.join(work, 'revoked.asc');
    writeFileSync(revoked, revokedKey);

    // A bare certificate: refused, naming what to send; nothing kept.
    const root = tempDir('bp-revuntrusted-root-');
    const bare = await bpkg(root, ['--json', 'key', 'add', cert]);
    expect(bare.code).toBe(4);
    const err = JSON.parse(bare.stdout).error as { code: string; hint: string };
    expect(err.code).toBe('revocation-without-key');
    expect(err.hint).toMatch(/gpg --import .*gpg --armor --export/);
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toEqual([]);

    // gpg's revoked public key: recorded, exit 0, changed once.
    const add = async (box: string, file: string) => {
      const r = await bpkg(box, ['--json', 'key', 'add', file]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { changed: boolean; revoked: boolean; fingerprint: string };
    };
    expect(await add(root, revoked)).toMatchObject({
      changed: true,
      revoked: true,
      fingerprint: g.fingerprint,
    });
    expect(await add(root, revoked)).toMatchObject({ changed: false, revoked: true });
    // The key itself, given later with its pin, stays revoked.
    const later = await bpkg(root, ['--json', 'key', 'add', pub, '--fingerprint', g.fingerprint]);
    expect(later.code, later.stderr).toBe(0);
    expect(JSON.parse(later.stdout)).toMatchObject({ changed: false, revoked: true });
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toMatchObject([
      { fingerprint: g.fingerprint, revoked: true },
    ]);

    // The public key and the certificate in one file, on another box: recorded revoked too, and
    // never trusted unrevoked, pin or no pin.
    const root2 = tempDir('bp-revuntrusted-root2-');
    const pinned = await bpkg(root2, ['--json', 'key', 'add', both, '--fingerprint', g.fingerprint]);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ changed: true, revoked: true });
    expect(await add(root2, both)).toMatchObject({ changed: false, revoked: true });

    // A certificate beside another key than the one it revokes is still bare: refused.
    const other = await gpgKey();
    const wrong = path.join(work, 'wrong.asc');
    writeFileSync(wrong, `${other.publicKey}\n${rev}`);
    const root3 = tempDir('bp-revuntrusted-root3-');
    const w = await bpkg(root3, ['--json', 'key', 'add', wrong, '--fingerprint', other.fingerprint]);
    expect(w.code).toBe(4);
    expect(JSON.parse((await bpkg(root3, ['--json', 'key', 'list'])).stdout)).toEqual([]);
  });
});
