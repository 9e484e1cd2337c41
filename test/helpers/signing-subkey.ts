/**
 * A publisher's key that signs with a subkey, and that subkey leaked: revoked, a new one made
 * (OpenPGP.js signs with the newest signing subkey). For the rollback tests of a revoked subkey.
 */
import { writeFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { makeKey, type TestKey } from './pkg.js';

/** `k` with `key` as its private and public files. */
export function rewriteKey(k: TestKey, key: openpgp.PrivateKey): TestKey {
  const privateKey = key.armor();
  const publicKey = key.toPublic().armor();
  writeFileSync(k.privateFile, privateKey);
  writeFileSync(k.publicFile, publicKey);
  return { ...k, privateKey, publicKey };
}

/** A throw-away key whose signatures are made by a signing subkey (makeKey's own subkey encrypts). */
export async function keyWithSigningSubkey(dir: string): Promise<TestKey> {
  const k = await makeKey(dir);
  const key = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
  return rewriteKey(k, await key.addSubkey({ sign: true }));
}

/**
 * The publisher's answer to a leak: a new signing subkey, the one that signed until now (`leaked`,
 * its fingerprint) revoked as compromised; the primary key stays valid. `key`'s files rewritten.
 */
export async function revokeSigningSubkey(key: TestKey): Promise<{ key: TestKey; leaked: string }> {
  const priv = await openpgp.readPrivateKey({ armoredKey: key.privateKey });
  const leaked = priv.subkeys.at(-1)!.getFingerprint();
  const next = await priv.addSubkey({ sign: true });
  const at = next.subkeys.findIndex((s) => s.getFingerprint() === leaked);
  next.subkeys[at] = await next.subkeys[at]!.revoke(next.keyPacket as openpgp.SecretKeyPacket, {
    flag: openpgp.enums.reasonForRevocation.keyCompromised,
    string: 'leaked',
  });
  return { key: rewriteKey(key, next), leaked };
}
