import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bpkg, tempDir } from '../helpers/pkg.js';
import { gpgSignedRepoOnBox } from './gpg-setup.js';

const exec = promisify(execFile);

/**
 * A publisher's GnuPG key is compromised: they run `gpg --gen-revoke` (reason "key has been
 * compromised", a description) and send the certificate it writes, a bare key revocation signature,
 * to the boxes. On a box that trusts the key for a repository, `bpkg key add revocation.asc` applies
 * it, checked against that trusted key (KEYS2 item 1). From then on a package the key signed is
 * refused `signer-revoked`, saying the key is revoked and what to do: before its download from the
 * repository, and after its read when the package file is given (`bpkg install ./X.bpkg`), where it
 * said `key-not-valid` (item 2). The index it signed is refused the same way at the next update.
 * GnuPG made the key, signed the repository and wrote the certificate; the real executable.
 */
describe('a GnuPG revocation certificate for a key trusted for a repository', () => {
  it('is applied to the trusted key, and what the key signs is refused as revoked', async () => {
    const base = tempDir('bp-gpgrev-');
    const root = tempDir('bp-gpgrev-root-');
    const { g, repo } = await gpgSignedRepoOnBox({
      base,
      root,
      name: 'app',
      keyFile: 'key.asc',
      repoAs: 'main',
      keyForRepo: true,
    });
    const env = { ...process.env, GNUPGHOME: g.home };

    // gpg --gen-revoke asks on a terminal (it refuses --batch): `script` gives it one; the answers
    // are: create it (y), reason 1 (compromised), a description line, its end, confirm (y).
    const cert = path.join(base, 'revocation.asc');
    const gen = `gpg --yes --command-fd 0 --pinentry-mode loopback --passphrase '' --armor --output '${cert}' --gen-revoke ${g.fingerprint}`;
    await exec(
      'sh',
      ['-c', `printf 'y\\n1\\nleaked from a build machine\\n\\ny\\n' | script -qec "${gen}" /dev/null`],
      {
        env,
      },
    );
    const { stdout: listed } = await exec('gpg', ['--list-packets', cert], { env });
    expect(listed).toMatch(/sigclass 0x20/); // a key revocation signature alone: no key in the file

    const add = await bpkg(root, ['--json', 'key', 'add', cert]);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      fingerprint: g.fingerprint,
      revoked: true,
      changed: true,
    });
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toMatchObject([
      { fingerprint: g.fingerprint, revoked: true, repositories: ['main'] },
    ]);

    const revokedError = (r: { code: number; stdout: string }) => {
      expect(r.code, r.stdout).toBe(4);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
      expect(error.code).toBe('signer-revoked');
      expect(error.message).toContain(`${g.fingerprint.toUpperCase()}`);
      expect(error.message).toMatch(/revoked on this box/);
      expect(error.hint).toMatch(/signed by a valid key/);
      return error;
    };
    // From the repository: refused before its download (bdc11e12).
    revokedError(await bpkg(root, ['--json', 'install', '--yes', 'app']));
    // The package file itself, read and then judged: revoked, not "key-not-valid".
    const pool = path.join(repo, 'pool', 'app');
    const file = readdirSync(pool).find((f) => f.endsWith('.bpkg'))!;
    const local = revokedError(await bpkg(root, ['--json', 'install', '--yes', path.join(pool, file)]));
    expect(local.hint).toMatch(/nothing was installed/i);
    // The next update: the index the revoked key signed is refused as revoked too.
    const up = await bpkg(root, ['--json', 'update']);
    expect(up.code, up.stdout).toBe(4);
    const [main] = JSON.parse(up.stdout) as { repo: string; error: { code: string; message: string } }[];
    expect(main!.repo).toBe('main');
    expect(main!.error.code).toBe('signer-revoked');
    expect(main!.error.message).toBe(
      `The index of repository main is signed by key ${g.fingerprint.toUpperCase()}, revoked on this box: nothing it signs is accepted`,
    );
  }, 60_000);
});
