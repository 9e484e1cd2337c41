import type * as OpenPGP from 'openpgp';
import type { InstalledPackage } from './db.js';
import type { OriginKeys } from './origin-keys.js';
import type { PublicKey, SignatureCheck } from './signature.js';

/**
 * The fingerprint of the key that made a check's signature: the primary's, or the subkey's
 * (InstalledPackage.signingKey: what `bpkg rollback` and `verify` judge again later).
 */
export const signingKeyOf = (check: Pick<SignatureCheck, 'signer' | 'subkey'>): string =>
  check.subkey ?? check.signer;

/** Where an entry's version came from and who signed it, kept beside it once another is installed. */
export const keptFrom = (e: InstalledPackage): NonNullable<InstalledPackage['previousFrom']> => ({
  origin: e.origin,
  signer: e.signer,
  ...(e.signingKey ? { signingKey: e.signingKey } : {}),
});

/** A kept or installed version whose signer is not to be believed now (revokedSigning). */
export interface RevokedSigning {
  /** The trusted key recorded as its signer. */
  signer: string;
  /** Its signing subkey that is revoked, when the primary key itself is not. */
  subkey?: string;
  /**
   * The version's record does not say which of the key's keys signed it (a database from before
   * signingKey was kept), and `subkey`, one that can sign, is revoked: it may have been that one.
   */
  unrecorded?: boolean;
  /**
   * The recorded signing key (`subkey`) is none of the trusted key's keys now (deleted from the key
   * since, or a record naming another key): no trusted key made that signature, as an install judges it.
   */
  gone?: boolean;
  /**
   * No key this box trusts now made the signature, nor is the recorded signer trusted (its key
   * removed since: `bpkg key remove`): `signer` is the recorded one, else the signature's issuer.
   */
  untrusted?: boolean;
  /**
   * A trusted key made it, `signer`, but not one a version from this origin may be signed by now
   * (origin-keys.ts): a key trusted for another repository, or one no longer bound to this one.
   */
  notFor?: string;
}

/** OpenPGP key flag: may sign data (RFC 4880 5.2.3.21). */
const SIGN_DATA = 0x02;

/**
 * Whether the key that signed a version (`signer`, the trusted primary; `signingKey`, the one of
 * its keys that made the signature, as installed.json records it) is revoked on this box now: the
 * primary, or the signing subkey, as an install's check judges the signature (signature.ts
 * verifyDetached refuses both). `keys`: the trusted keys (a key no longer trusted is not judged
 * here: the caller's question is revocation). Without `signingKey`, a revoked subkey that can sign
 * may have been the one: `unrecorded`; a recorded one the key no longer has: `gone`.
 */
export async function revokedSigning(
  keys: PublicKey[],
  signer: string | undefined,
  signingKey: string | undefined,
  now = new Date(),
): Promise<RevokedSigning | undefined> {
  if (!signer) return undefined;
  const fpr = signer.toLowerCase();
  const key = keys.find((k) => k.getFingerprint() === fpr);
  if (!key) return undefined;
  if (await key.isRevoked(undefined, undefined, now)) return { signer: fpr };
  const by = signingKey?.toLowerCase();
  if (by === fpr) return undefined;
  if (by !== undefined && !key.subkeys.some((sub) => sub.getFingerprint() === by))
    return { signer: fpr, subkey: by, gone: true };
  for (const sub of key.subkeys) {
    if (by !== undefined && sub.getFingerprint() !== by) continue;
    const signs = sub.bindingSignatures.some((s) => ((s.keyFlags?.[0] ?? 0) & SIGN_DATA) !== 0);
    if ((by !== undefined || signs) && (await subkeyRevoked(sub, now)))
      return { signer: fpr, subkey: sub.getFingerprint(), ...(by === undefined ? { unrecorded: true } : {}) };
  }
  return undefined;
}

/**
 * revokedSigning for a version whose file list kept the package's signature (FileList.signature,
 * base64): the key that signature names is judged, not installed.json's record of it (hand-edited
 * or damaged, a record can name the primary for what a revoked subkey signed). The signature's
 * data, the package file, is gone, so its hash is not checked again: the files are, against the
 * list install wrote from those bytes (states.ts verifyVersion). A signature none of the trusted
 * keys' keys made, while the recorded signer's key is trusted: `gone`; while it is not (removed
 * since): `untrusted`. Without a kept signature (a list an older blueprint wrote): the record, as
 * before. Unreadable: 'bad-signature'.
 *
 * `scope`: where the version came from (origin-keys.ts): a key trusted, and not revoked, but not
 * one a version from there may be signed by is `notFor` that origin, as an install refuses it.
 * `keys`: the keys a signature's issuer is looked up in (trusted ones, and the box's own).
 */
export async function keptSigning(
  keys: PublicKey[],
  record: { signer?: string; signingKey?: string },
  signature: unknown,
  what: string,
  now = new Date(),
  scope?: OriginKeys,
): Promise<RevokedSigning | undefined> {
  const fpr = record.signer?.toLowerCase();
  const trusted = (f: string) => keys.some((k) => k.getFingerprint() === f);
  const outOfScope = (f: string): RevokedSigning | undefined =>
    scope && !scope.allowed.includes(f) ? { signer: f, notFor: scope.origin } : undefined;
  if (signature === undefined) {
    // A database from before signers were recorded: nothing to judge, as before.
    if (!fpr) return undefined;
    if (!trusted(fpr)) return { signer: fpr, untrusted: true };
    return outOfScope(fpr) ?? revokedSigning(keys, fpr, record.signingKey, now);
  }
  const ids = (await keptSignaturesMade(signature, what)).map((m) => m.keyID);
  let first: RevokedSigning | undefined;
  for (const id of ids) {
    const made = keyHolding(keys, id);
    if (!made) continue;
    const signer = made.key.getFingerprint();
    const judged = outOfScope(signer) ?? (await revokedSigning(keys, signer, made.by.getFingerprint(), now));
    if (!judged) return undefined;
    first ??= judged;
  }
  if (first) return first;
  if (fpr && trusted(fpr)) return { signer: fpr, subkey: ids[0]!.toHex(), gone: true };
  return { signer: fpr ?? ids[0]!.toHex(), untrusted: true };
}

/**
 * What a kept signature (FileList.signature, base64) says of each signature in it: the key ID that
 * made it and when (signature.ts signaturesMade; unreadable: 'bad-signature'). Its data, the
 * package file, is no longer on the box.
 */
export async function keptSignaturesMade(
  signature: unknown,
  what: string,
): Promise<{ keyID: OpenPGP.KeyID; created?: Date }[]> {
  const { signaturesMade } = await import('./signature.js');
  return signaturesMade(Buffer.from(String(signature), 'base64'), what);
}

/**
 * The key of `keys` that holds the key that made a signature (named by its key ID, or by its
 * fingerprint as installed.json records it), and that key: the primary itself, or a subkey.
 */
export function keyHolding(
  keys: PublicKey[],
  made: OpenPGP.KeyID | string,
): { key: PublicKey; by: OpenPGP.PublicKey | OpenPGP.Subkey } | undefined {
  const of = (k: PublicKey) =>
    typeof made === 'string' ? k.getKeys().filter((x) => x.getFingerprint() === made) : k.getKeys(made);
  const key = keys.find((k) => of(k).length > 0);
  const by = key && of(key)[0];
  return key && by ? { key, by } : undefined;
}

/** Whether a subkey itself is revoked (OpenPGP.js: a null signature asks that). */
export const subkeyRevoked = (sub: OpenPGP.Subkey, now: Date): Promise<boolean> =>
  sub.isRevoked(null as never, undefined as never, now);
