/**
 * REVIEW8: `bpkg rollback` judged the kept version's recorded signing key (installed.json
 * `previousFrom.signingKey`) only against the subkeys its trusted key still has. A record naming a
 * subkey the trusted key no longer has (the key removed and added again as its publisher sends it
 * now, without the leaked subkey; or a record that names some other key) was found in none of them
 * and so judged not revoked: the rollback made current what an install of the same bytes refuses
 * (no trusted key made that signature). Now such a version is refused, naming the subkey.
 * Real OpenPGP keys (OpenPGP.js), the function rollback and `bpkg verify` ask.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { revokedSigning } from '../../src/core/pkg/signer-revoked.js';
import { bpkgBox, rollbackRefusal } from '../helpers/bpkg-box.js';
import { bpkg, makeKey, publishSources, tempDir } from '../helpers/pkg.js';

describe('a kept version whose recorded signing subkey its trusted key no longer has', () => {
  it('is judged not to be believed (as an install refuses it); a subkey the key has, and the primary, are', async () => {
    const k = await makeKey(tempDir('bp-rbgone-'));
    const priv = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
    const withA = await priv.addSubkey({ sign: true });
    const leaked = withA.subkeys.at(-1)!.getFingerprint();
    const withB = await withA.addSubkey({ sign: true });
    const kept = withB.subkeys.at(-1)!.getFingerprint();
    // The key as its publisher sends it now: the leaked subkey deleted, not revoked.
    const now = withB.toPublic();
    now.subkeys = now.subkeys.filter((s) => s.getFingerprint() !== leaked);
    const key = await openpgp.readKey({ armoredKey: now.armor() });
    expect(key.subkeys.map((s) => s.getFingerprint())).not.toContain(leaked);

    const gone = await revokedSigning([key], k.fingerprint, leaked);
    expect(gone).toMatchObject({ signer: k.fingerprint.toLowerCase(), subkey: leaked, gone: true });
    // Any fingerprint that is none of the key's keys: the same.
    expect(await revokedSigning([key], k.fingerprint, 'ab'.repeat(20))).toMatchObject({ gone: true });
    // The controls: signed by a subkey the key has, or by the primary itself.
    expect(await revokedSigning([key], k.fingerprint, kept)).toBeUndefined();
    expect(await revokedSigning([key], k.fingerprint, k.fingerprint)).toBeUndefined();
  });

  it('bpkg rollback refuses it (exit 4, naming the subkey) and the current version stays', async () => {
    const base = tempDir('bp-rbgone-cli-');
    const key = await makeKey(path.join(base, 'key'));
    const repo = path.join(base, 'repo');
    await publishSources(repo, key, [
      { name: 'app', version: '1.0.0' },
      { name: 'app', version: '2.0.0' },
    ]);
    const root = await bpkgBox('bp-rbgone-root-', key, repo);
    for (const v of ['1.0.0', '2.0.0'])
      expect((await bpkg(root, ['install', `app@${v}`, '--yes'])).code).toBe(0);
    // The kept record names a signing key that is none of the trusted key's keys, and its file list
    // is an older blueprint's, which kept no signature (with one, that is judged: rollback-kept-signature).
    const list = path.join(root, 'var/lib/blueprint/pkg/files/app_1.0.0.json');
    const files = JSON.parse(readFileSync(list, 'utf8'));
    delete files.signature;
    writeFileSync(list, JSON.stringify(files));
    const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    const data = JSON.parse(readFileSync(db, 'utf8'));
    expect(data.packages.app).toMatchObject({ version: '2.0.0', previous: '1.0.0' });
    const other = 'ab'.repeat(20);
    data.packages.app.previousFrom.signingKey = other;
    writeFileSync(db, JSON.stringify(data));
    const error = await rollbackRefusal(root);
    expect(error.code).toBe('signer-revoked');
    expect(error.message).toContain('which that key no longer has on this box');
    expect(error.message).toContain(other.toUpperCase());
    expect(JSON.parse(readFileSync(db, 'utf8')).packages.app.version).toBe('2.0.0');
  });
});
