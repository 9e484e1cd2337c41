import path from 'node:path';
import { assertInsideRoot } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import type { TrustedKey } from './keyring.js';
import { nodeCrypto, nodeFs } from './node-lazy.js';
import { readSealed, writeSealed } from './sealed.js';
import type { FastKey } from './sig-fast.js';
import type { PublicKey } from './signature.js';

/**
 * The trusted keys as OpenPGP.js judged them, kept so that `bpkg update` and `key list` need not
 * load OpenPGP.js (774 KB to compile, elliptic-curve tables built at load) and parse every armored
 * key on each run. Sealed like the index cache (index-cache.ts: HMAC with the box's own key), and
 * bound to the exact bytes of every key file and of the box's local public key (their SHA-256):
 * a key added, removed, replaced (a revocation imported) or a cache edited on disk, and it is not
 * used; the keys are parsed and judged by OpenPGP.js again and the cache written anew.
 *
 * Time: a cache is only written when nothing in any key is dated after the moment it was made, and
 * only used while the clock is not before that moment; then a key's validity can change only by
 * expiring, which each FastKey carries (sig-fast.ts).
 */
export interface CachedKey {
  info: TrustedKey;
  /** The key as sig-fast.ts checks signatures by it; absent for keys of another shape. */
  fast?: FastKey;
}

export interface KeyFiles {
  /** File name → SHA-256 of its bytes. */
  files: Record<string, string>;
  /** SHA-256 of the box's local public key file, null when there is none. */
  local: string | null;
}

const FILE = 'keyring.json';
const KIND = 'keyring-cache';
/** Sealed under the name '' (no repository is so named): the lists folder itself. */
const NAME = '';
const sha256 = (b: Uint8Array | string) => nodeCrypto().createHash('sha256').update(b).digest('hex');

/** The trusted key files of `dir` (`*.asc`, by name), each read once (a few KB: synchronously). */
export async function readKeyFiles(dir: string): Promise<{ name: string; text: string }[]> {
  let names: string[];
  try {
    names = nodeFs()
      .readdirSync(dir)
      .filter((f) => f.endsWith('.asc'));
  } catch {
    return [];
  }
  const out: { name: string; text: string }[] = [];
  for (const name of names.sort())
    out.push({ name, text: nodeFs().readFileSync(path.join(dir, name), 'utf8') });
  return out;
}

/**
 * The keys among `fingerprints` that sig-fast.ts can check by, as the sealed cache holds them for
 * exactly the key files of `keysDir` and the local key file now; undefined when the cache cannot
 * say (missing, changed, made for other files or a later clock): then the Keyring judges the keys.
 */
export async function keptFastKeys(
  paths: Layout,
  localKeyFile: string,
  fingerprints: string[],
  now: Date,
): Promise<FastKey[] | undefined> {
  const state = await keyFilesState(await readKeyFiles(paths.keysDir), localKeyFile);
  const kept = await readKeyringCache(paths, state, now);
  return kept?.flatMap((k) => (k.fast && fingerprints.includes(k.fast.fingerprint) ? [k.fast] : []));
}

/** What the cache is bound to: the key files given (as read) and the local key file's bytes now. */
export async function keyFilesState(
  files: { name: string; text: string }[],
  localKeyFile: string,
): Promise<KeyFiles> {
  const { constants, lstatSync, readFileSync } = nodeFs();
  let local: Buffer | null;
  try {
    // Most boxes have no key of their own: answered without an exception thrown and caught (issue 20).
    local = !lstatSync(localKeyFile, { throwIfNoEntry: false })
      ? null
      : readFileSync(localKeyFile, { flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    local = null;
  }
  return {
    files: Object.fromEntries(files.map((f) => [f.name, sha256(f.text)])),
    local: local === null ? null : sha256(local),
  };
}

const sameState = (a: KeyFiles, b: KeyFiles) =>
  a.local === b.local &&
  Object.keys(a.files).length === Object.keys(b.files).length &&
  Object.entries(a.files).every(([k, v]) => b.files[k] === v);

/** The cached keys when the cache matches its seal, these files and the clock; else undefined. */
export async function readKeyringCache(
  paths: Layout,
  state: KeyFiles,
  now: Date,
): Promise<CachedKey[] | undefined> {
  const payload = await readSealed(paths, NAME, FILE, KIND).catch(() => undefined);
  if (!payload) return undefined;
  const kept = JSON.parse(payload.toString('utf8')) as KeyFiles & { madeAt: number; keys: CachedKey[] };
  if (!Array.isArray(kept.keys) || typeof kept.madeAt !== 'number' || now.getTime() < kept.madeAt)
    return undefined;
  return sameState(kept, state) ? kept.keys : undefined;
}

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
    await writeSealed(paths, NAME, FILE, payload, KIND);
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
