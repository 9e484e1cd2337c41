import path from 'node:path';
import type { Layout } from '../system/paths.js';
import type { TrustedKey } from './keyring.js';
import { nodeCrypto, nodeFs } from './node-lazy.js';
import { readSealed } from './sealed.js';
import type { FastKey } from './sig-fast.js';

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
 *
 * This module reads the cache (the quick `bpkg update`, in the executable's start part); the keyring
 * (keyring.ts, the package commands) judges the keys and writes it: keyring-cache-write.ts.
 */
export interface CachedKey {
  info: TrustedKey;
  /** The key as sig-fast.ts checks signatures by it; absent for keys of another shape. */
  fast?: FastKey;
}

export interface KeyFiles {
  /** How the keys were judged (JUDGE): a cache judged otherwise is not used. */
  judge?: number;
  /** File name → SHA-256 of its bytes. */
  files: Record<string, string>;
  /** SHA-256 of the box's local public key file, null when there is none. */
  local: string | null;
}

/** Sealed as file `keyring.json`, kind `keyring-cache`, under the name '' (no repository is so named): the lists folder itself. */
export const SEALED_AS = { name: '', file: 'keyring.json', kind: 'keyring-cache' } as const;
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
    judge: JUDGE,
    files: Object.fromEntries(files.map((f) => [f.name, sha256(f.text)])),
    local: local === null ? null : sha256(local),
  };
}

/**
 * How keys are judged now; a cache judged before is judged anew once. 2: a key's user IDs are only
 * those it certified (keyring.ts describe), not every one its file carries.
 */
const JUDGE = 2;

const sameState = (a: KeyFiles, b: KeyFiles) =>
  a.judge === b.judge &&
  a.local === b.local &&
  Object.keys(a.files).length === Object.keys(b.files).length &&
  Object.entries(a.files).every(([k, v]) => b.files[k] === v);

/** The cached keys when the cache matches its seal, these files and the clock; else undefined. */
export async function readKeyringCache(
  paths: Layout,
  state: KeyFiles,
  now: Date,
): Promise<CachedKey[] | undefined> {
  const payload = await readSealed(paths, SEALED_AS.name, SEALED_AS.file, SEALED_AS.kind).catch(
    () => undefined,
  );
  if (!payload) return undefined;
  const kept = JSON.parse(payload.toString('utf8')) as KeyFiles & { madeAt: number; keys: CachedKey[] };
  if (!Array.isArray(kept.keys) || typeof kept.madeAt !== 'number' || now.getTime() < kept.madeAt)
    return undefined;
  return sameState(kept, state) ? kept.keys : undefined;
}
