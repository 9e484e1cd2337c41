import { assertInsideRoot } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import type { TrustedKey } from './keyring.js';
import { type CachedKey, type KeyFiles, SEALED_AS } from './keyring-cache.js';
import { nodeFs } from './node-lazy.js';
import { writeSealed } from './sealed-write.js';
import type { FastKey } from './sig-fast.js';
import type { PublicKey } from './signature.js';

/**
 * The keyring cache's writing half (keyring-cache.ts says what it holds and reads it): the keys as
 * OpenPGP.js judged them, made into what the cache keeps, and the sealed file written. Only the
 * keyring (keyring.ts, the package commands) writes it, so none of this is in the executable's
 * start part, where the quick `bpkg update` only reads the cache.
 */

/**
 * Keeps the keys judged at `madeAt` for the files of `state` (best effort: a reader may not write
 * here). Whether it was written.
 */
export async function writeKeyringCache(
  paths: Layout,
  state: KeyFiles,
  madeAt: Date,
  keys: CachedKey[],
): Promise<boolean> {
  const payload = Buffer.from(JSON.stringify({ ...state, madeAt: madeAt.getTime(), keys }));
  try {
    // `key add` and `key list` write it without the package manager's lock and root check: a
    // symlink on the way out of the root (test/security/root-links.test.ts) means no cache.
    // Nor does it make the lists folder (an update does, after judging the root).
    if (!(await nodeFs().promises.stat(paths.listsDir)).isDirectory()) return false;
    await assertInsideRoot(paths.root, [paths.listsDir]);
    await writeSealed(paths, SEALED_AS.name, SEALED_AS.file, payload, SEALED_AS.kind);
    return true;
  } catch {
    return false;
  }
}

/** Every date a key holds: its key packets' and its signatures' creation times, in ms. */
function datesIn(key: PublicKey): number[] {
  return [...key.toPacketList()]
    .map((p) => (p as { created?: unknown }).created)
    .filter((d): d is Date => d instanceof Date)
    .map((d) => d.getTime());
}

/**
 * A key as the cache keeps it, judged by OpenPGP.js at `at`; undefined when something in it is
 * dated after `at` (then no cache is written: it could become valid or revoked later).
 */
export async function cachedKey(key: PublicKey, info: TrustedKey, at: Date): Promise<CachedKey | undefined> {
  if (datesIn(key).some((d) => d > at.getTime())) return undefined;
  return { info, ...(await fastKey(key, info, at)) };
}

/**
 * The primary key as sig-fast.ts uses it, for the one plain shape whose validity is a single span:
 * a v4 Ed25519 primary key, one user ID with one self-signature, no revocation or direct signature.
 * The span's ends are OpenPGP.js's own answers, and it must find the key able to sign at both the
 * start of the span and at `at`.
 */
async function fastKey(key: PublicKey, info: TrustedKey, at: Date): Promise<{ fast: FastKey } | object> {
  const k = key as unknown as {
    keyPacket: { version: number; algorithm: number; publicParams: { Q?: Uint8Array; A?: Uint8Array } };
    users: {
      userID: unknown;
      selfCertifications: { created: Date; getExpirationTime(): Date | number }[];
      revocationSignatures: unknown[];
    }[];
    revocationSignatures: unknown[];
    directSignatures: unknown[];
  };
  const { algorithm: name, curve } = key.getAlgorithmInfo() as { algorithm: string; curve?: string };
  const algorithm =
    name === 'eddsaLegacy' && curve === 'ed25519Legacy' ? 22 : name === 'ed25519' ? 27 : undefined;
  const user = k.users[0];
  if (
    info.revoked ||
    algorithm === undefined ||
    k.keyPacket.version !== 4 ||
    k.users.length !== 1 ||
    !user?.userID ||
    user.selfCertifications.length !== 1 ||
    user.revocationSignatures.length !== 0 ||
    k.revocationSignatures.length !== 0 ||
    k.directSignatures.length !== 0
  )
    return {};
  const raw = algorithm === 22 ? k.keyPacket.publicParams.Q : k.keyPacket.publicParams.A;
  const pub =
    algorithm === 22 ? raw?.[0] === 0x40 && raw.length === 33 && raw.subarray(1) : raw?.length === 32 && raw;
  if (!pub) return {};
  const cert = user.selfCertifications[0]!;
  const validFrom = Math.max(key.getCreationTime().getTime(), cert.created.getTime());
  const ends = [await key.getExpirationTime(), cert.getExpirationTime()]
    .map((e) => (e instanceof Date ? e.getTime() : Number(e)))
    .filter((e) => Number.isFinite(e));
  const validUntil = ends.length ? Math.min(...ends) : null;
  const keyId = key.getKeyID();
  try {
    for (const date of [new Date(validFrom), at]) {
      const signing = await key.getSigningKey(keyId, date);
      if (signing.getKeyID().toHex() !== keyId.toHex()) return {};
    }
  } catch {
    return {};
  }
  return {
    fast: {
      fingerprint: key.getFingerprint(),
      keyId: keyId.toHex(),
      algorithm,
      publicKey: Buffer.from(pub).toString('hex'),
      validFrom,
      validUntil,
    },
  };
}
