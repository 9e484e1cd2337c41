/**
 * REVIEW10: `bpkg key add` of a "newer copy" of a trusted key (6be7c672, merged without
 * --fingerprint or a prompt) must not let anyone without the key's private half break it.
 *
 * OpenPGP.js Subkey.update, which Key.update runs for a subkey the box holds already, puts a copy's
 * binding signature in the place of the kept one whenever both name the same issuer and the copy's
 * is dated later, without verifying it (only a binding signature from a new issuer is verified).
 * A copy whose signing subkey's binding signature was re-dated (its bytes no longer verify) thus
 * replaced the genuine one on the box: the subkey had no valid binding left, and every signature
 * it makes (the repository's Release files) stopped verifying, with `bpkg key add` saying the key
 * was merged. Anyone who hands the admin the key's public file (a mirror, a download page) can do it.
 * Real OpenPGP.js keys, the real bpkg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';
import { rewriteKey } from '../helpers/signing-subkey.js';

/** The creation-time subpacket (type 2) of a v4 signature's hashed area, a minute later (still past). */
function redated(sig: openpgp.SignaturePacket): void {
  const data = sig.signatureData!;
  const end = 6 + ((data[4]! << 8) | data[5]!);
  for (let i = 6; i < end; ) {
    const len = data[i]!; // < 192 in keys OpenPGP.js makes
    if ((data[i + 1]! & 0x7f) === 2) {
      const view = new DataView(data.buffer, data.byteOffset + i + 2, 4);
      view.setUint32(0, view.getUint32(0) + 60);
      sig.created = new Date(view.getUint32(0) * 1000);
      return;
    }
    i += 1 + len;
  }
  throw new Error('no creation time in the hashed area');
}

describe('bpkg key add, a copy whose known subkey carries a forged binding signature', () => {
  it('keeps the genuine binding: the trusted subkey still verifies what it signs', async () => {
    // Made an hour ago, as a published key is: the re-dated binding is still in the past.
    const made = new Date(Date.now() - 3_600_000);
    const first = await makeKey(path.join(tempDir('bp-kforge-key-'), 'key'), { date: made });
    const withSub = await openpgp.readPrivateKey({ armoredKey: first.privateKey });
    const key = rewriteKey(first, await withSub.addSubkey({ sign: true, date: made }));
    const root = tempDir('bp-kforge-root-');
    const added = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    expect(added.code, added.stderr).toBe(0);

    const copy = await openpgp.readKey({ armoredKey: key.publicKey });
    const signing = copy.subkeys.at(-1)!;
    redated(signing.bindingSignatures[0]!);
    const file = path.join(tempDir('bp-kforge-file-'), 'copy.asc');
    writeFileSync(file, copy.armor());
    // The forged signature is no signature of the key's: OpenPGP.js itself refuses it.
    await expect(
      signing.bindingSignatures[0]!.verify(copy.keyPacket, openpgp.enums.signature.subkeyBinding, {
        key: copy.keyPacket,
        bind: signing.keyPacket,
      }),
    ).rejects.toThrow();

    // Before: exit 0, '"changed": false', and the genuine binding replaced by the forged one.
    await bpkg(root, ['--json', 'key', 'add', file]);

    const stored = await openpgp.readKey({
      armoredKey: readFileSync(
        path.join(root, `etc/blueprint/keys/${key.fingerprint.toLowerCase()}.asc`),
        'utf8',
      ),
    });
    const priv = await openpgp.readPrivateKey({ armoredKey: key.privateKey });
    const signature = await openpgp.sign({
      message: await openpgp.createMessage({ text: 'Release' }),
      signingKeys: priv,
      detached: true,
    });
    const { signatures } = await openpgp.verify({
      message: await openpgp.createMessage({ text: 'Release' }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: stored,
    });
    expect(signatures[0]!.keyID.toHex()).toBe(signing.getKeyID().toHex());
    await expect(signatures[0]!.verified).resolves.toBe(true);
  });
});
