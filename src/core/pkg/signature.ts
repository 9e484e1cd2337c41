import type * as OpenPGP from 'openpgp';
import { VerificationError } from '../errors.js';
import { canDigest, digestFile } from './file-digest.js';
import { showFingerprint } from './fingerprint-text.js';
import { loadOpenpgp, messageOf, v4HashSuffix } from './pgp-load.js';

/** The hint of a signature file that cannot be read as one. */
export const UNREADABLE_SIGNATURE =
  'The signature file is damaged or is not an OpenPGP signature: fetch the .asc file again from its publisher.';

// OpenPGP.js is loaded by the first function here that needs it (pgp-load.ts loadOpenpgp, which
// keeps it): each one that calls it awaits loadOpenpgp() first. The signing side is signing.ts.
export type PublicKey = OpenPGP.PublicKey;

export interface SignatureCheck {
  /** Fingerprint (lower-case hex) of the trusted primary key that made a good signature. */
  signer: string;
  /** Fingerprint of the signing subkey that made it, when not the primary key itself. */
  subkey?: string;
  created?: Date;
}

export async function readPublicKeys(armoredOrBinary: string | Uint8Array): Promise<OpenPGP.PublicKey[]> {
  // OpenPGP.js answers an empty input with what it asks of its caller ('must pass options object').
  if (armoredOrBinary.length === 0 || (typeof armoredOrBinary === 'string' && !armoredOrBinary.trim()))
    throw new VerificationError(
      'Not an OpenPGP public key: it is empty',
      'bad-key',
      'Export it with `gpg --export --armor FINGERPRINT`.',
    );
  const openpgp = await loadOpenpgp();
  try {
    const keys =
      typeof armoredOrBinary === 'string'
        ? await openpgp.readKeys({ armoredKeys: armoredOrBinary })
        : await openpgp.readKeys({ binaryKeys: armoredOrBinary });
    return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as OpenPGP.PublicKey)));
  } catch (err) {
    throw new VerificationError(
      `Not an OpenPGP public key: ${(err as Error).message}`,
      'bad-key',
      'Export it with `gpg --export --armor FINGERPRINT`.',
    );
  }
}

async function readDetached(armored: string | Uint8Array): Promise<OpenPGP.Signature> {
  const openpgp = await loadOpenpgp();
  try {
    return typeof armored === 'string' || Buffer.from(armored.subarray(0, 5)).toString() === '-----'
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(armored).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: armored });
  } catch (err) {
    throw new VerificationError(
      `Unreadable signature: ${(err as Error).message}`,
      'bad-signature',
      UNREADABLE_SIGNATURE,
    );
  }
}

/** What of OpenPGP.js's signature packet this module relies on (not in its type definitions). */
interface SignaturePacketInternals {
  version: number;
  signatureType: number;
  hashAlgorithm: number;
  /** Version, type, algorithms and hashed subpackets: what the signature hashes after the data. */
  signatureData: Uint8Array;
  hashed?: Promise<Uint8Array>;
}

/**
 * Hands the hashing of a large signed file to a worker thread. A v4 signature over binary data
 * signs H(file || signature data || 0x04 0xFF || its length as 4 bytes) (RFC 4880, 5.2.4).
 * OpenPGP.js then checks the digest (its leading bytes, then the public-key signature) as it does
 * for one-pass signed messages, whose digest it also computes ahead (`hashed`). Other packet
 * versions or hashes keep the streamed path. Returns whether every packet was handed off (only
 * then may the message be left empty).
 */
function hashFileOffThread(
  openpgp: typeof OpenPGP,
  sig: OpenPGP.Signature,
  digest: (hash: string, suffix: Uint8Array) => Promise<Uint8Array>,
): boolean {
  const packets = [...sig.packets] as unknown as SignaturePacketInternals[];
  const hashName = (p: SignaturePacketInternals) =>
    openpgp.enums.read(openpgp.enums.hash, p.hashAlgorithm) as string;
  const eligible = (p: SignaturePacketInternals) =>
    p.version === 4 &&
    p.signatureType === openpgp.enums.signature.binary &&
    p.signatureData instanceof Uint8Array &&
    canDigest(hashName(p));
  if (packets.length === 0 || !packets.every(eligible)) return false;
  for (const p of packets) {
    p.hashed = digest(hashName(p), v4HashSuffix(p.signatureData));
    p.hashed.catch(() => {}); // awaited by verify(); a packet it skips must not fail the process
  }
  return true;
}

/** Why a trusted key cannot vouch for anything now: revoked or expired (judged today, not at signing time). */
export async function keyUnusableNow(
  key: OpenPGP.PublicKey,
  keyID: OpenPGP.KeyID,
  now: Date,
): Promise<string | undefined> {
  if (await key.isRevoked(undefined, undefined, now)) return 'revoked';
  const expires = await key.getExpirationTime();
  if (expires instanceof Date && expires.getTime() <= now.getTime())
    return `expired on ${expires.toISOString()}`;
  try {
    await key.getSigningKey(keyID, now);
  } catch (err) {
    return `its signing key is not valid now (${(err as Error).message})`;
  }
  return undefined;
}

/**
 * Verifies a detached signature over `data` (bytes or a file path, streamed) and requires at least
 * one good signature by a trusted key that is valid now. OpenPGP.js resolves verify() even for bad
 * signatures; only each `verified` promise rejects, so every one is awaited. Zero signature packets
 * is a failure, not a vacuous success.
 */
/**
 * What a detached signature covers: bytes, a file (hashed on a worker thread), or a digest the
 * caller computes itself (`digest(hash, suffix)`: the named hash of the data followed by
 * `suffix`), e.g. over the one stream it also unpacks (install-stream.ts). A signature whose
 * shape needs the data itself is refused for `digest` ('signature-unsupported').
 */
export type SignedData =
  | Uint8Array
  | { file: string }
  | { digest: (hash: string, suffix: Uint8Array) => Promise<Uint8Array> };

/**
 * The trusted keys a detached signature names, before any data is read: refused as verifyDetached
 * refuses (no signature in it, or no trusted key: `untrusted-signer`). `bpkg install --dry-run`
 * asks this of each package's signature alone, as the install would refuse it.
 */
export async function trustedSigners(
  signature: string | Uint8Array,
  trusted: OpenPGP.PublicKey[],
  what: string,
) {
  const sig = await readDetached(signature);
  const ids = sig.getSigningKeyIDs();
  if (ids.length === 0)
    throw new VerificationError(`${what}: the signature file holds no signature`, 'no-signature');
  const signerKeys = trusted.filter((k) => ids.some((id) => k.getKeys(id).length > 0));
  if (signerKeys.length === 0)
    throw new VerificationError(
      `${what} is signed by an untrusted key (key ID ${ids.map((i) => showFingerprint(i.toHex())).join(', ')}: the last 16 hex digits of the signing key's fingerprint, or of a subkey's)`,
      'untrusted-signer',
      'Trust the publisher key with `bpkg key add FILE --fingerprint FPR` if you know it is right; `gpg --list-keys --with-subkey-fingerprints` shows which primary key holds a subkey.',
    );
  return { sig, signerKeys };
}

/**
 * The key IDs a detached signature says made it, each with the time it says it was made, read as
 * verifyDetached reads it (unreadable: 'bad-signature'; none: 'no-signature'). Rollback judges a
 * kept version's signature with them (signer-revoked.ts keptSignaturesMade, keptSigning and
 * signer-expired.ts): its data, the package file, is no longer on the box.
 */
export async function signaturesMade(
  signature: string | Uint8Array,
  what: string,
): Promise<{ keyID: OpenPGP.KeyID; created?: Date }[]> {
  const packets = (await readDetached(signature)).packets;
  if (packets.length === 0)
    throw new VerificationError(`${what}: its signature holds no signature`, 'no-signature');
  return packets.map((p) => ({ keyID: p.issuerKeyID, ...(p.created ? { created: p.created } : {}) }));
}

export async function verifyDetached(
  data: SignedData,
  signature: string | Uint8Array,
  trusted: OpenPGP.PublicKey[],
  what: string,
  now = new Date(),
): Promise<SignatureCheck> {
  const openpgp = await loadOpenpgp();
  const { sig, signerKeys } = await trustedSigners(signature, trusted, what);
  const named = (id: OpenPGP.KeyID) => keyNamed(signerKeys, id);
  const hashedElsewhere =
    'digest' in data
      ? hashFileOffThread(openpgp, sig, data.digest)
      : 'file' in data && hashFileOffThread(openpgp, sig, (h, suffix) => digestFile(data.file, h, suffix));
  if ('digest' in data && !hashedElsewhere)
    throw new VerificationError(
      `${what}: its signature is not of the shape checked while streaming (v4, SHA-2)`,
      'signature-unsupported',
    );
  const message = hashedElsewhere
    ? await openpgp.createMessage({ binary: new Uint8Array(0) })
    : await messageOf(data as Uint8Array | { file: string });
  const result = await openpgp.verify({
    message,
    signature: sig,
    verificationKeys: signerKeys,
    format: 'binary',
  });
  // With streamed input the data must be consumed before `verified` settles.
  if (result.data instanceof ReadableStream) {
    const reader = result.data.getReader();
    while (!(await reader.read()).done) {}
  }
  const problems: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
    } catch (err) {
      // OpenPGP.js refuses a revoked key before the signature's hash: said as keyUnusableNow says it.
      const revoked = /^(Primary key|Subkey) is revoked/.test((err as Error).message);
      problems.push(`${named(s.keyID)}${revoked ? ' is revoked' : `: ${(err as Error).message}`}`);
      continue;
    }
    const key = signerKeys.find((k) => k.getKeys(s.keyID).length > 0);
    if (!key) continue;
    const unusable = await keyUnusableNow(key, s.keyID, now);
    if (unusable) {
      problems.push(`${named(s.keyID)} is ${unusable}`);
      continue;
    }
    const packet = (await s.signature).packets[0];
    const signer = key.getFingerprint();
    const by = key.getKeys(s.keyID)[0]?.getFingerprint();
    return {
      signer,
      ...(by && by !== signer ? { subkey: by } : {}),
      ...(packet?.created ? { created: packet.created } : {}),
    };
  }
  throw noGoodSignature(what, problems);
}

/**
 * verifyDetached's refusal when no signature held: each signature's `problems`. Signed only by keys
 * revoked on this box (each problem `KEY is revoked`): `signer-revoked`, in revoked-first.ts's words,
 * as the refusal before a download says it (a package file given, a bundle; an index's refusal is
 * said with its own hint by RepoTrust, repo-trust.ts revokedRepositoryFile).
 */
export function noGoodSignature(what: string, problems: string[]): VerificationError {
  const revoked = problems.map((p) => / is revoked$/.exec(p) && p.slice(0, -' is revoked'.length));
  if (revoked.length > 0 && revoked.every(Boolean))
    return new VerificationError(
      `${what} is signed by ${[...new Set(revoked)].join(', ')}, revoked on this box: nothing it signs is accepted`,
      'signer-revoked',
      'Nothing was installed. Ask its publisher for a version signed by a valid key (`bpkg info NAME` lists the versions its repository offers: `bpkg install NAME@VERSION`), or go back to the version you had: `bpkg rollback NAME`. Do not trust the revoked key again.',
    );
  return new VerificationError(
    `${what}: no good signature by a trusted, valid key (${problems.join('; ') || 'none verified'})`,
    problems.some((p) => / is (revoked|expired)/.test(p)) ? 'key-not-valid' : 'bad-signature',
    'The file may have been tampered with, or the signing key revoked/expired. Do not install it; contact the publisher.',
  );
}

/** The primary fingerprint the admin trusted (of `keys`), and the subkey when a subkey signed. */
export function keyNamed(keys: OpenPGP.PublicKey[], id: OpenPGP.KeyID): string {
  const key = keys.find((k) => k.getKeys(id).length > 0);
  if (!key) return showFingerprint(id.toHex());
  const fpr = key.getFingerprint();
  return fpr.endsWith(id.toHex())
    ? `key ${showFingerprint(fpr)}`
    : `key ${showFingerprint(fpr)} (subkey ${showFingerprint(id.toHex())})`;
}
