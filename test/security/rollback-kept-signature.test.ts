/**
 * KEYS4 (REVIEW8's left items). `bpkg rollback` judged the kept version's signer from installed.json
 * alone: a hand-edited or damaged record naming the primary key as the signing key (previousFrom.
 * signingKey) made current a version that a signing subkey revoked since had signed, which an
 * install of the same bytes refuses. The package's signature is now kept with the version (its file
 * list) and rollback judges the key that signature names against the keyring as it is now. And
 * `bpkg verify` said an older record (no signing key recorded) was fine while rollback refused it.
 * Real OpenPGP keys (OpenPGP.js), the real bpkg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { keptSigning } from '../../src/core/pkg/signer-revoked.js';
import { bpkgBox, bpkgOk, rollbackRefusal } from '../helpers/bpkg-box.js';
import { bpkg, makeKey, publishSources, tempDir } from '../helpers/pkg.js';
import { keyWithSigningSubkey, revokeSigningSubkey } from '../helpers/signing-subkey.js';

/**
 * A box with app@1.0.0 installed, signed by a signing subkey (`leaked`) that the publisher then
 * revoked; the updated key added. `upgrade`: app@2.0.0 (signed by the new subkey) installed too.
 */
async function revokedAfterInstall(tag: string, upgrade: boolean) {
  const base = tempDir(`bp-${tag}-`);
  let key = await keyWithSigningSubkey(path.join(base, 'key'));
  const repo = path.join(base, 'repo');
  await publishSources(repo, key, [{ name: 'app', version: '1.0.0' }]);
  const root = await bpkgBox(`bp-${tag}-root-`, key, repo);
  const ok = bpkgOk(root);
  await ok('install', 'app@1.0.0', '--yes');
  const revoked = await revokeSigningSubkey(key);
  key = revoked.key;
  const { leaked } = revoked;
  await ok('key', 'add', key.publicFile, '--fingerprint', key.fingerprint);
  if (upgrade) {
    await publishSources(repo, key, [{ name: 'app', version: '2.0.0' }]);
    await ok('update');
    await ok('install', 'app@2.0.0', '--yes');
  }
  const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
  const list = (v: string) => path.join(root, `var/lib/blueprint/pkg/files/app_${v}.json`);
  return { root, key, leaked, db, list };
}

describe("rollback judges the kept version's own signature, not the record alone", () => {
  it('a record edited to name the primary as the signing key: still refused, naming the revoked subkey', async () => {
    const { root, key, leaked, db, list } = await revokedAfterInstall('rbsig', true);
    // The package's signature is kept with the version.
    expect(JSON.parse(readFileSync(list('1.0.0'), 'utf8')).signature).toEqual(expect.any(String));
    const data = JSON.parse(readFileSync(db, 'utf8'));
    expect(data.packages.app).toMatchObject({ version: '2.0.0', previous: '1.0.0' });
    expect(data.packages.app.previousFrom.signingKey).toBe(leaked);
    data.packages.app.previousFrom.signingKey = key.fingerprint.toLowerCase();
    writeFileSync(db, JSON.stringify(data));
    const error = await rollbackRefusal(root);
    expect(error.code).toBe('signer-revoked');
    expect(error.message).toContain(`(subkey ${leaked.toUpperCase()})`);
    expect(JSON.parse(readFileSync(db, 'utf8')).packages.app.version).toBe('2.0.0');
  });

  it('a kept signature that is not a signature: refused as damaged, the current version stays', async () => {
    const { root, db, list } = await revokedAfterInstall('rbsigbad', true);
    const kept = JSON.parse(readFileSync(list('1.0.0'), 'utf8'));
    kept.signature = Buffer.from('not a signature').toString('base64');
    writeFileSync(list('1.0.0'), JSON.stringify(kept));
    const error = await rollbackRefusal(root);
    expect(error.code).toBe('damaged');
    expect(error.hint).toContain('install app@1.0.0`');
    expect(error.message).toContain('its signature, kept with its file list, cannot be read');
    expect(JSON.parse(readFileSync(db, 'utf8')).packages.app.version).toBe('2.0.0');
  });
});

describe('keptSigning: the key a kept signature names, judged against the keyring now', () => {
  it('a subkey the key has: fine; one it no longer has: gone, whatever the record says; none kept: the record', async () => {
    const k = await makeKey(tempDir('bp-kept-'));
    const priv = await (await openpgp.readPrivateKey({ armoredKey: k.privateKey })).addSubkey({ sign: true });
    const signer = priv.subkeys.at(-1)!.getFingerprint();
    const message = await openpgp.createMessage({ binary: new Uint8Array([1, 2, 3]) });
    const sig = await openpgp.sign({ message, signingKeys: priv, detached: true, format: 'binary' });
    const signature = Buffer.from(sig as Uint8Array).toString('base64');
    const record = { signer: k.fingerprint, signingKey: k.fingerprint };
    const key = priv.toPublic();
    expect(await keptSigning([key], record, signature, 'app')).toBeUndefined();
    // The key as its publisher sends it now: that subkey deleted, not revoked.
    const without = await openpgp.readKey({ armoredKey: key.armor() });
    without.subkeys = without.subkeys.filter((s) => s.getFingerprint() !== signer);
    expect(await keptSigning([without], record, signature, 'app')).toMatchObject({
      signer: k.fingerprint.toLowerCase(),
      subkey: signer.slice(-16),
      gone: true,
    });
    // Without a kept signature (an older blueprint's list) the record is what is judged.
    expect(await keptSigning([without], record, undefined, 'app')).toBeUndefined();
  });
});

describe('bpkg verify says of an installed version what rollback would', () => {
  it("a version an older blueprint installed (no signing key, no signature kept): its key's revoked signing subkey named", async () => {
    const { root, leaked, db, list } = await revokedAfterInstall('vfold', false);
    const data = JSON.parse(readFileSync(db, 'utf8'));
    delete data.packages.app.signingKey;
    writeFileSync(db, JSON.stringify(data));
    const files = JSON.parse(readFileSync(list('1.0.0'), 'utf8'));
    delete files.signature;
    writeFileSync(list('1.0.0'), JSON.stringify(files));
    const v = await bpkg(root, ['--json', 'verify', 'app']);
    expect(JSON.parse(v.stdout)[0].problems).toContainEqual({
      path: leaked.toUpperCase(),
      problem: 'signer-unrecorded',
    });
    const text = await bpkg(root, ['verify', 'app']);
    expect(text.code).toBe(4);
    expect(text.stdout).toContain('install app@1.0.0 --reinstall` checks its signature again');
    // That reinstall judges the signature: the revoked subkey made it.
    const again = await bpkg(root, ['--json', 'install', 'app@1.0.0', '--reinstall', '--yes']);
    expect(again.code, again.stdout).toBe(4);
    expect(JSON.parse(again.stdout).error.code).toBe('signer-revoked');
  });

  it('a record edited to name the primary: verify names the revoked subkey its kept signature names', async () => {
    const { root, key, leaked, db } = await revokedAfterInstall('vfedit', false);
    const data = JSON.parse(readFileSync(db, 'utf8'));
    data.packages.app.signingKey = key.fingerprint.toLowerCase();
    writeFileSync(db, JSON.stringify(data));
    const v = await bpkg(root, ['--json', 'verify', 'app']);
    expect(JSON.parse(v.stdout)[0].problems).toContainEqual({
      path: leaked.toUpperCase(),
      problem: 'signer-revoked',
    });
  });
});

describe('a local package file installed again', () => {
  it('keeps its signature with the version, and puts no cache path in installed.json', async () => {
    const base = tempDir('bp-rbsig-local-');
    const key = await makeKey(path.join(base, 'key'));
    const repo = path.join(base, 'repo');
    await publishSources(repo, key, [{ name: 'app', version: '1.0.0' }]);
    const root = await bpkgBox('bp-rbsig-local-root-', key, repo);
    const file = path.join(repo, 'pool/app/app_1.0.0_all.bpkg');
    for (const again of [[], ['--reinstall']]) {
      const r = await bpkg(root, ['install', file, ...again, '--yes']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const entry = JSON.parse(readFileSync(path.join(root, 'var/lib/blueprint/pkg/installed.json'), 'utf8'))
        .packages.app;
      expect(Object.keys(entry)).not.toContain('file');
      const list = JSON.parse(
        readFileSync(path.join(root, 'var/lib/blueprint/pkg/files/app_1.0.0.json'), 'utf8'),
      );
      expect(Buffer.from(list.signature, 'base64')).toEqual(readFileSync(`${file}.asc`));
    }
  });
});
