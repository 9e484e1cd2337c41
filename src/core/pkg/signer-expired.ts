import type * as OpenPGP from 'openpgp';
import { VerificationError } from '../errors.js';
import { showFingerprint } from './fingerprint-text.js';
import type { PublicKey } from './signature.js';
import { keptSignaturesMade, keyHolding } from './signer-revoked.js';

/** A kept version whose signing key has expired since (expiredSigning). */
export interface ExpiredSigning {
  /** The trusted key that made the signature (its primary fingerprint). */
  signer: string;
  /** Its subkey that made it, when not the primary. */
  subkey?: string;
  /** When that key (the primary, or the subkey, whichever ends first) expired. */
  expired: Date;
  /** When the signature says it was made; absent when not known (no signature kept). */
  signed?: Date;
}

/**
 * Whether the key that made a kept version's signature (the one its kept signature names, else
 * installed.json's record) has expired by `now`. Expiry is not revocation: OpenPGP and GnuPG hold
 * a signature made while its key was valid good after the key expires (GnuPG's EXPKEYSIG: "Good
 * signature", with a note that the key has expired), and the kept version's bytes were judged at
 * its install, by a key valid then; what may be wrong with them since is what a revocation says.
 * So `bpkg rollback` makes such a version current and says so (a warning); only a signature dated
 * after the expiry, which no check ever accepted, is refused (expiredRefusal). Judged after
 * keptSigning, so the key is one the box trusts for the version's origin, and not revoked.
 */
export async function expiredSigning(
  keys: PublicKey[],
  record: { signer?: string; signingKey?: string },
  signature: unknown,
  what: string,
  now: Date,
): Promise<ExpiredSigning | undefined> {
  const made: { keyID: OpenPGP.KeyID | string; created?: Date }[] = [];
  if (signature !== undefined) made.push(...(await keptSignaturesMade(signature, what)));
  else if (record.signer) made.push({ keyID: (record.signingKey ?? record.signer).toLowerCase() });
  let first: ExpiredSigning | undefined;
  for (const m of made) {
    const { key, by } = keyHolding(keys, m.keyID) ?? {};
    if (!key || !by) continue;
    const subkey = by.getFingerprint() !== key.getFingerprint() ? (by as OpenPGP.Subkey) : undefined;
    const ends = [await key.getExpirationTime().catch(() => null)];
    if (subkey) ends.push(await subkey.getExpirationTime().catch(() => null));
    const dates = ends.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
    const expired = dates.length ? new Date(Math.min(...dates)) : undefined;
    // One signature by a key valid now: the version is signed by a valid key.
    if (!expired || expired.getTime() > now.getTime()) return undefined;
    first ??= {
      signer: key.getFingerprint(),
      ...(subkey ? { subkey: subkey.getFingerprint() } : {}),
      expired,
      ...(m.created ? { signed: m.created } : {}),
    };
  }
  return first;
}

/** The one expiry rollback refuses: a signature dated after its key expired was never a valid one. */
export function expiredRefusal(
  name: string,
  kept: string,
  current: string,
  e: ExpiredSigning,
): VerificationError | undefined {
  if (!e.signed || e.signed.getTime() <= e.expired.getTime()) return undefined;
  return new VerificationError(
    `The kept version ${kept} of ${name} carries a signature dated ${e.signed.toISOString()} by key ${showFingerprint(e.signer)}${e.subkey ? ` (subkey ${showFingerprint(e.subkey)})` : ''}, which expired on ${e.expired.toISOString()}: no check accepts a signature made after its key expired`,
    'key-not-valid',
    `${name} stays at ${current}. For another version signed by a valid key: \`bpkg info ${name}\` lists them, \`bpkg install ${name}@VERSION\` installs one.`,
  );
}

/** What rollback says of a version signed before its key expired (made current all the same). */
export const expiredNote = (name: string, kept: string, e: ExpiredSigning): string =>
  `${name} ${kept} is signed by key ${showFingerprint(e.signer)}${e.subkey ? ` (subkey ${showFingerprint(e.subkey)})` : ''}, which expired on ${e.expired.toISOString()}${e.signed ? `, after it signed it (${e.signed.toISOString()})` : ''}: made current as its install verified it; a signature made before its key expired stays good. A new version from that publisher needs its renewed key: \`bpkg key add FILE\` (a newer copy of a trusted key is merged).`;
