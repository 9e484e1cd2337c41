import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildRepository } from '../../src/core/pkg/index.js';
import { bpkgBox, bpkgOk, rollbackRefusal } from '../helpers/bpkg-box.js';
import { bpkg, makeSource, publishSources, tempDir } from '../helpers/pkg.js';
import { keyWithSigningSubkey, revokeSigningSubkey } from '../helpers/signing-subkey.js';

const exec = promisify(execFile);

/**
 * KEYS2's left item: `bpkg rollback` judged only the signer's primary key. A publisher signs with a
 * subkey; it leaks, so they revoke that subkey (the primary stays valid), sign with a new one and
 * send the updated public key, which the box takes with `bpkg key add`. An install of a version the
 * revoked subkey signed is refused from then on, but `bpkg rollback` made the kept version it signed
 * current again. Now the rollback is refused `signer-revoked`, naming the subkey, and nothing changes.
 */
describe('bpkg rollback onto a version signed by a revoked signing subkey', () => {
  it('is refused (exit 4), naming the subkey, and the current version stays', async () => {
    const base = tempDir('bp-rbsub-');
    let key = await keyWithSigningSubkey(path.join(base, 'key'));
    const repo = path.join(base, 'repo');
    await publishSources(repo, key, [{ name: 'app', version: '1.0.0' }]);
    const root = await bpkgBox('bp-rbsub-root-', key, repo);
    const ok = bpkgOk(root);
    await ok('install', 'app@1.0.0', '--yes');

    // The publisher: a new signing subkey, the old one revoked (the primary key stays valid).
    const revoked = await revokeSigningSubkey(key);
    key = revoked.key;
    const leakedFpr = revoked.leaked;
    await publishSources(repo, key, [{ name: 'app', version: '2.0.0' }]);
    const updated = await ok('--json', 'key', 'add', key.publicFile, '--fingerprint', key.fingerprint);
    expect(JSON.parse(updated.stdout)).toMatchObject({ fingerprint: key.fingerprint, revoked: false });
    // bpkg verify says the installed 1.0.0's signing key is revoked (it judged the primary alone).
    const v = await bpkg(root, ['--json', 'verify', 'app']);
    expect(JSON.parse(v.stdout)[0].problems).toContainEqual({
      path: leakedFpr.toUpperCase(),
      problem: 'signer-revoked',
    });
    await ok('update');
    await ok('install', 'app', '--yes');
    // The install path refuses what the revoked subkey signs (the control: this is what rollback missed).
    const again = await bpkg(root, ['--json', 'install', 'app@1.0.0', '--yes']);
    expect(again.code, again.stdout).toBe(4);
    expect(JSON.parse(again.stdout).error.code).toBe('signer-revoked');

    const error = await rollbackRefusal(root);
    expect(error.code).toBe('signer-revoked');
    expect(error.message).toContain(leakedFpr.toUpperCase());
    expect(error.message).toContain('1.0.0');
    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(list.find((p: { name: string }) => p.name === 'app')).toMatchObject({
      version: '2.0.0',
      signer: key.fingerprint,
    });

    // The control: a kept version signed by the key's valid subkey is rolled back to.
    await publishSources(repo, key, [{ name: 'app', version: '3.0.0' }]);
    await ok('update');
    await ok('install', 'app', '--yes');
    await ok('rollback', 'app');
    const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    const entry = () => JSON.parse(readFileSync(db, 'utf8')).packages.app;
    expect(entry()).toMatchObject({ version: '2.0.0', previous: '3.0.0' });
    expect(entry().signingKey).toBe(entry().previousFrom.signingKey); // both by the new subkey
    expect(entry().signingKey).not.toBe(leakedFpr);

    // A database from before the signing key was kept (nor the signature, in the version's file
    // list): the key has a revoked signing subkey, which may have signed the kept version: refused,
    // saying so, and a reinstall checks it again (and keeps the signature it checked).
    const old = JSON.parse(readFileSync(db, 'utf8'));
    delete old.packages.app.previousFrom.signingKey;
    writeFileSync(db, JSON.stringify(old));
    const listFile = path.join(root, 'var/lib/blueprint/pkg/files/app_3.0.0.json');
    const files = JSON.parse(readFileSync(listFile, 'utf8'));
    delete files.signature;
    writeFileSync(listFile, JSON.stringify(files));
    const why = await rollbackRefusal(root);
    expect(why.code).toBe('signer-revoked');
    expect(why.message).toContain('did not record which of its keys signed it');
    expect(why.hint).toMatch(/install app@3\.0\.0` checks its signature again/);
    await ok('install', 'app@3.0.0', '--yes');
    expect(entry()).toMatchObject({ version: '3.0.0', previous: '2.0.0' });
    expect(JSON.parse(readFileSync(listFile, 'utf8')).signature).toEqual(expect.any(String));
  });

  it('with GnuPG: a subkey revoked with `gpg --edit-key` (revkey), the key sent again, rollback refused', async () => {
    const home = tempDir('bp-rbsub-gnupg-');
    const env = { ...process.env, GNUPGHOME: home };
    const gpg = (args: string[], input?: string) => {
      const run = exec(
        'gpg',
        ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
        {
          env,
        },
      );
      if (input !== undefined) run.child.stdin!.end(input);
      return run;
    };
    const subkeys = async () =>
      [
        ...(await gpg(['--with-colons', '--list-keys'])).stdout.matchAll(
          /^sub:([a-z]):.*\n^fpr:+([0-9A-F]{40}):/gm,
        ),
      ].map((m) => ({ validity: m[1], fingerprint: m[2]! }));
    await gpg(['--quick-gen-key', 'Subkey Publisher <sub@blueprintos.invalid>', 'ed25519', 'cert', '1y']);
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec((await gpg(['--with-colons', '--list-keys'])).stdout)![1]!;
    await gpg(['--quick-add-key', fpr, 'ed25519', 'sign', '1y']);
    const [leaked] = await subkeys();
    const base = tempDir('bp-rbsub-gpg-');
    const repo = path.join(base, 'repo');
    const publish = (version: string) =>
      buildRepository({
        sources: [makeSource(tempDir('bp-rbsub-src-'), { name: 'app', version })],
        repoDir: repo,
        name: 'gpg-repo',
        signer: { gpgKey: fpr, gnupgHome: home },
      });
    const pub = path.join(base, 'key.asc');
    const exportKey = async () => writeFileSync(pub, (await gpg(['--armor', '--export', fpr])).stdout);
    await publish('1.0.0');
    await exportKey();
    const root = tempDir('bp-rbsub-gpg-root-');
    const ok = bpkgOk(root);
    await ok('key', 'add', pub, '--fingerprint', fpr);
    await ok('repo', 'add', 'main', repo);
    await ok('update');
    await ok('install', 'app@1.0.0', '--yes');

    // A new signing subkey; the old one revoked: key 1, revkey, yes, reason 1 (compromised), a line, its end, yes.
    await gpg(['--quick-add-key', fpr, 'ed25519', 'sign', '1y']);
    await gpg(['--command-fd', '0', '--edit-key', fpr], 'key 1\nrevkey\ny\n1\nleaked\n\ny\nsave\n');
    expect(await subkeys()).toContainEqual({ validity: 'r', fingerprint: leaked!.fingerprint });
    await publish('2.0.0');
    await exportKey();
    await ok('key', 'add', pub, '--fingerprint', fpr);
    await ok('update');
    await ok('install', 'app', '--yes');

    const error = await rollbackRefusal(root);
    expect(error.code).toBe('signer-revoked');
    expect(error.message).toContain(`(subkey ${leaked!.fingerprint})`);
    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout);
    expect(list.find((p: { name: string }) => p.name === 'app')).toMatchObject({ version: '2.0.0' });
  });
});
