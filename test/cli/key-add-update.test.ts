/**
 * ROLLKEY: `bpkg key add` of an updated copy of a key the box trusts already (the same primary
 * fingerprint: the publisher added a signing subkey, revoked a leaked one, extended its expiry)
 * was refused without --fingerprint ("Refusing to trust a key without its fingerprint"), as if it
 * were a stranger's key. gpg --import merges such a copy without asking, and apt replaces a
 * keyring file: the fingerprint, confirmed when the key was first trusted, is the key. Now the copy
 * is merged without --fingerprint and what it changed is said (a new subkey is named: trust widens
 * only to what the trusted key itself certified). A subkey the trusted key did not certify (its
 * binding signature does not verify: grafted onto a copy) is left out and said; the rest of the
 * copy (a revocation) is still applied. A key not trusted yet still needs --fingerprint or the
 * prompt. Real OpenPGP.js keys, the real bpkg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import { revokeSigningSubkey, rewriteKey } from '../helpers/signing-subkey.js';

interface Added {
  fingerprint: string;
  changed: boolean;
  revoked: boolean;
  newSubkeys?: string[];
  revokedSubkeys?: string[];
  uncertifiedSubkeys?: string[];
  uncertifiedUserIds?: string[];
  userIds?: string[];
}

async function trustedBox(tag: string): Promise<{ root: string; key: TestKey }> {
  const key = await makeKey(path.join(tempDir(`bp-${tag}-key-`), 'key'));
  const root = tempDir(`bp-${tag}-root-`);
  const r = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
  expect(r.code, r.stderr).toBe(0);
  return { root, key };
}

/** `bpkg --json key add FILE` with no --fingerprint, no --yes and no terminal to ask on. */
async function addUnpinned(root: string, file: string) {
  const r = await bpkg(root, ['--json', 'key', 'add', file]);
  return { ...r, json: r.code === 0 ? (JSON.parse(r.stdout) as Added) : undefined };
}

describe('bpkg key add, an updated copy of a trusted key', () => {
  it('a new signing subkey: merged without --fingerprint, the subkey named; the same copy again changes nothing', async () => {
    const { root, key } = await trustedBox('kupd');
    const priv = await openpgp.readPrivateKey({ armoredKey: key.privateKey });
    const next = rewriteKey(key, await priv.addSubkey({ sign: true }));
    const sub = (await openpgp.readKey({ armoredKey: next.publicKey })).subkeys.at(-1)!.getFingerprint();

    const r = await addUnpinned(root, next.publicFile);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      fingerprint: key.fingerprint.toLowerCase(),
      changed: true,
      newSubkeys: [sub],
    });
    const text = await bpkg(root, ['key', 'add', next.publicFile]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^already trusted /);
    // Said the first time: run it on a fresh box with the old copy trusted.
    const other = await trustedBox('kupd2');
    writeFileSync(other.key.publicFile, other.key.publicKey);
    const p2 = await openpgp.readPrivateKey({ armoredKey: other.key.privateKey });
    const n2 = rewriteKey(other.key, await p2.addSubkey({ sign: true }));
    const s2 = (await openpgp.readKey({ armoredKey: n2.publicKey })).subkeys.at(-1)!.getFingerprint();
    const said = await bpkg(other.root, ['key', 'add', n2.publicFile]);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout).toMatch(/^updated /);
    expect(said.stdout).toContain(`new subkey ${s2.toUpperCase()}, certified by the key`);
  });

  it('a signing subkey revoked as leaked: applied without --fingerprint, the subkey named', async () => {
    const { root, key } = await trustedBox('krev');
    const priv = await openpgp.readPrivateKey({ armoredKey: key.privateKey });
    const withSub = rewriteKey(key, await priv.addSubkey({ sign: true }));
    expect((await addUnpinned(root, withSub.publicFile)).code).toBe(0);
    const { key: revoked, leaked } = await revokeSigningSubkey(withSub);
    const r = await addUnpinned(root, revoked.publicFile);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ changed: true, revoked: false, revokedSubkeys: [leaked] });
    expect(r.json?.newSubkeys).toHaveLength(1);
  });

  it("a subkey grafted onto the copy (bound by another key's signature): left out and said; the copy's revocation still applied", async () => {
    const { root, key } = await trustedBox('kgraft');
    const stranger = await openpgp.readPrivateKey({
      armoredKey: (await makeKey(tempDir('bp-kgraft-stranger-'), { name: 'Someone Else' })).privateKey,
    });
    const grafted = (await stranger.addSubkey({ sign: true })).toPublic().subkeys.at(-1)!;
    // The trusted key as its publisher revoked it, with the stranger's signing subkey (and the
    // stranger's binding signature over it) appended.
    const pub = await openpgp.readKey({ armoredKey: key.publicKey });
    const { publicKey: revokedText } = await openpgp.revokeKey({
      key: pub,
      revocationCertificate: key.revocationCertificate,
      format: 'armored',
    });
    const copy = await openpgp.readKey({ armoredKey: revokedText });
    copy.subkeys.push(Object.assign(grafted, { mainKey: copy }));
    // And the stranger's user ID, certified by the stranger: it would rename the key in `key list`.
    const name = stranger.toPublic().users[0]!;
    copy.users.push(Object.assign(name, { mainKey: copy }));
    const file = path.join(tempDir('bp-kgraft-file-'), 'copy.asc');
    writeFileSync(file, copy.armor());

    const r = await addUnpinned(root, file);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      revoked: true,
      changed: true,
      uncertifiedSubkeys: [grafted.getFingerprint()],
    });
    expect(r.json?.newSubkeys ?? []).toEqual([]);
    expect(r.json).toMatchObject({ uncertifiedUserIds: ['Someone Else <test@blueprintos.invalid>'] });
    expect(r.stderr).toContain('"Someone Else <test@blueprintos.invalid>"');
    expect(r.stderr).toContain(grafted.getFingerprint().toUpperCase());
    // The key kept on the box holds no such subkey.
    const list = JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout);
    expect(list).toHaveLength(1);
    expect(list[0].userIds).toEqual(['Test repository <test@blueprintos.invalid>']);
    const stored = await openpgp.readKey({
      armoredKey: readFileSync(
        path.join(root, `etc/blueprint/keys/${key.fingerprint.toLowerCase()}.asc`),
        'utf8',
      ),
    });
    expect(stored.subkeys.map((s) => s.getFingerprint())).not.toContain(grafted.getFingerprint());
  });

  it('a user ID the key itself certified (reformatted with a second name, no expiry): merged and shown', async () => {
    const { root, key } = await trustedBox('kuid');
    const { privateKey: renamed } = await openpgp.reformatKey({
      privateKey: await openpgp.readPrivateKey({ armoredKey: key.privateKey }),
      userIDs: [
        { name: 'Test repository', email: 'test@blueprintos.invalid' },
        { name: 'Test repository', email: 'release@blueprintos.invalid' },
      ],
      format: 'object',
    });
    const file = path.join(key.dir, 'renamed.asc');
    writeFileSync(file, renamed.toPublic().armor());
    const r = await addUnpinned(root, file);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      changed: true,
      userIds: [
        'Test repository <test@blueprintos.invalid>',
        'Test repository <release@blueprintos.invalid>',
      ],
    });
    expect(r.json?.uncertifiedUserIds).toBeUndefined();
  });

  it('a key not trusted yet: still refused without --fingerprint (nothing added)', async () => {
    const { root } = await trustedBox('knew');
    const stranger = await makeKey(path.join(tempDir('bp-knew-'), 'key'));
    const r = await addUnpinned(root, stranger.publicFile);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('Refusing to trust a key without its fingerprint');
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toHaveLength(1);
  });
});
