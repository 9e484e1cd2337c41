/**
 * ROLLKEY: `bpkg rollback` (and `bpkg verify`) judged the key a kept version's signature names
 * against every trusted key, not against the keys of the repository the version came from; and a
 * key removed from the keyring was judged not at all (no trusted key made the signature, so nothing
 * was "revoked"). A key trusted for one repository signs nothing of another's, and a key no longer
 * trusted signs nothing: an install of the same bytes from there is refused, and so now is the
 * rollback (exit 4, the current version stays), with what to do. Two real keys, each bound to its
 * own repository (twoRepoRoot), the real bpkg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { rollbackRefusal } from '../helpers/bpkg-box.js';
import { bpkg, type TestKey } from '../helpers/pkg.js';
import { poolFile, twoRepoRoot } from '../helpers/two-repos.js';

const pkgState = (root: string, ...rest: string[]) => path.join(root, 'var/lib/blueprint/pkg', ...rest);
const installed = (root: string) => JSON.parse(readFileSync(pkgState(root, 'installed.json'), 'utf8'));

async function ok(root: string, ...args: string[]) {
  const r = await bpkg(root, args);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

/** `key`'s detached signature over `file`, base64 (as a file list keeps it). */
async function signatureBy(key: TestKey, file: string): Promise<string> {
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: key.privateKey });
  const message = await openpgp.createMessage({ binary: readFileSync(file) });
  const sig = await openpgp.sign({ message, signingKeys, detached: true, format: 'binary' });
  return Buffer.from(sig as Uint8Array).toString('base64');
}

/** The refusal of `bpkg --json rollback app`: exit 4, and app still at `stays`. */
async function refusedRollback(root: string, stays: string) {
  const error = await rollbackRefusal(root);
  expect(installed(root).packages.app.version).toBe(stays);
  return error;
}

/** app 1.0.0 from repository a (key A), then 2.0.0 from `second` (a, or b signed by key B). */
async function upgradedBox(second: 'a' | 'b') {
  const a = [
    { name: 'app', version: '1.0.0' },
    ...(second === 'a' ? [{ name: 'app', version: '2.0.0' }] : []),
  ];
  const b = second === 'b' ? [{ name: 'app', version: '2.0.0' }] : [{ name: 'other', version: '1.0.0' }];
  const box = await twoRepoRoot(a, b);
  await ok(box.root, 'install', 'app@1.0.0', '--yes');
  await ok(box.root, 'install', 'app', ...(second === 'b' ? ['--from', 'b'] : []), '--yes');
  expect(installed(box.root).packages.app).toMatchObject({
    version: '2.0.0',
    previous: '1.0.0',
    previousFrom: { origin: 'a', signer: box.keyA.fingerprint.toLowerCase() },
  });
  return box;
}

describe('rollback and verify hold a kept signature to the keys of the repository the version came from', () => {
  it("a version from a whose kept signature (and record) is swapped for key B's, trusted for b only: refused", async () => {
    const { root, keyB, repoA } = await upgradedBox('a');
    const list = pkgState(root, 'files/app_1.0.0.json');
    const kept = JSON.parse(readFileSync(list, 'utf8'));
    // A good signature over the very bytes installed, by a key this box trusts: for repository b.
    kept.signature = await signatureBy(keyB, poolFile(repoA, 'app', '1.0.0'));
    writeFileSync(list, JSON.stringify(kept));
    const db = installed(root);
    const b = keyB.fingerprint.toLowerCase();
    db.packages.app.previousFrom = { origin: 'a', signer: b, signingKey: b };
    writeFileSync(pkgState(root, 'installed.json'), JSON.stringify(db));

    const error = await refusedRollback(root, '2.0.0');
    expect(error.code).toBe('wrong-repository-key');
    expect(error.message).toContain(keyB.fingerprint.toUpperCase());
    expect(error.message).toContain('repository a');
    expect(error.message).toContain('trusted for repository b only');
    expect(error.hint).toContain('app stays at 2.0.0');
    expect(error.hint).toMatch(/bpkg (--root \S+ )?repo set-key a /);

    // The installed version's own signature, swapped the same way: `bpkg verify` says so.
    const current = pkgState(root, 'files/app_2.0.0.json');
    const now = JSON.parse(readFileSync(current, 'utf8'));
    now.signature = await signatureBy(keyB, poolFile(repoA, 'app', '2.0.0'));
    writeFileSync(current, JSON.stringify(now));
    const v = await bpkg(root, ['--json', 'verify', 'app']);
    expect(v.code).toBe(4);
    expect(JSON.parse(v.stdout)[0].problems).toContainEqual({
      path: keyB.fingerprint.toUpperCase(),
      problem: 'signer-wrong-repository',
    });
    const text = await bpkg(root, ['verify', 'app']);
    expect(text.stdout).toContain('not one trusted for the repository it came from');
  });

  it('a version from a, once a is bound to key B alone (`repo set-key a B`): refused, naming key A', async () => {
    const { root, keyA, keyB } = await upgradedBox('b');
    await ok(root, 'repo', 'set-key', 'a', keyB.fingerprint);
    const error = await refusedRollback(root, '2.0.0');
    expect(error.code).toBe('wrong-repository-key');
    expect(error.message).toContain(keyA.fingerprint.toUpperCase());
    expect(error.message).toContain('repository a');
    // Key A is bound to no repository now.
    expect(error.message).toContain('trusted for no repository');
  });

  it('a version signed by a key removed from the keyring (`bpkg key remove`): refused, with or without its kept signature', async () => {
    const { root, keyA } = await upgradedBox('b');
    await ok(root, 'key', 'remove', keyA.fingerprint);
    const error = await refusedRollback(root, '2.0.0');
    expect(error.code).toBe('untrusted-signer');
    expect(error.message).toContain(keyA.fingerprint.toUpperCase());
    expect(error.message).toContain('no longer trusts');
    expect(error.hint).toContain('app stays at 2.0.0');
    // A file list an older blueprint wrote (no signature kept): installed.json's record is judged.
    const list = pkgState(root, 'files/app_1.0.0.json');
    const files = JSON.parse(readFileSync(list, 'utf8'));
    delete files.signature;
    writeFileSync(list, JSON.stringify(files));
    expect((await refusedRollback(root, '2.0.0')).code).toBe('untrusted-signer');
  });

  it('the installed version of a key removed since: `bpkg verify` says its signer is not trusted', async () => {
    const { root, keyB } = await upgradedBox('b');
    await ok(root, 'key', 'remove', keyB.fingerprint);
    const v = await bpkg(root, ['--json', 'verify', 'app']);
    expect(v.code).toBe(4);
    expect(JSON.parse(v.stdout)[0].problems).toContainEqual({
      path: keyB.fingerprint.toUpperCase(),
      problem: 'signer-untrusted',
    });
    const text = await bpkg(root, ['verify', 'app']);
    expect(text.stdout).toContain('this box no longer trusts the key that signed it');
  });

  it('the controls: both ways between a and b as each is bound; a repository removed since judges as a package file', async () => {
    const { root, keyA } = await upgradedBox('b');
    await ok(root, 'rollback', 'app', '--yes');
    expect(installed(root).packages.app).toMatchObject({ version: '1.0.0', origin: 'a' });
    await ok(root, 'rollback', 'app', '--yes');
    expect(installed(root).packages.app).toMatchObject({ version: '2.0.0', origin: 'b' });
    // Repository a removed: key A (still trusted) would install these bytes as a package file.
    await ok(root, 'repo', 'remove', 'a');
    await ok(root, 'rollback', 'app', '--yes');
    expect(installed(root).packages.app).toMatchObject({
      version: '1.0.0',
      signer: keyA.fingerprint.toLowerCase(),
    });
    expect((await bpkg(root, ['verify', 'app'])).code).toBe(0);
  });
});
