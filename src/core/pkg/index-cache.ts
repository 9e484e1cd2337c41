import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { VERSION } from '../version.js';
import type { RepoIndex } from './format.js';

/**
 * The verified index cache: what `bpkg update` verified (signature, schema, freshness), kept as
 * `lists/NAME/verified.json` so search, info and install take it as it is: one JSON.parse, no
 * schema pass over every entry (the index of 10,000 packages cost ~80 ms to validate again on each
 * command), no OpenPGP.
 *
 * Honest because it is sealed: an HMAC-SHA-256 over the repository's name and the content, keyed
 * with 32 random bytes only this box holds (`lists/.cache-key`, mode 0600). A cache changed on disk
 * by anyone without the key, another repository's cache copied in, a torn write: none of them
 * matches its seal, and then the caller verifies the kept index.json against its signature again
 * (Repositories.state) and rebuilds the cache, or refuses. A reader that cannot read the key (a
 * user other than root) always takes that slower, verified path.
 */
export interface VerifiedIndex {
  index: RepoIndex;
  /** Fingerprint of the key whose signature was verified. */
  signer: string;
  /** SHA-256 of the index.json bytes that were verified. */
  sha256: string;
}

const KEY_FILE = '.cache-key';
const CACHE_FILE = 'verified.json';
const FORMAT = 1;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readKey(paths: Layout): Promise<Buffer | undefined> {
  const key = await readFile(path.join(paths.listsDir, KEY_FILE)).catch(() => undefined);
  return key?.length === 32 ? key : undefined;
}

/** The box's sealing key, made on first use (a torn or missing one is replaced: caches then rebuild). */
async function sealingKey(paths: Layout): Promise<Buffer> {
  const existing = await readKey(paths);
  if (existing) return existing;
  const key = randomBytes(32);
  await writeFileAtomic(path.join(paths.listsDir, KEY_FILE), key, 0o600);
  return key;
}

function seal(key: Buffer, name: string, payload: Uint8Array): Buffer {
  // The name is sealed with the content: repository A's cache is no cache for B. So is the
  // program's version: a version whose index checks are stricter (format.ts) verifies and parses
  // every kept index again once, rather than trusting what an older one accepted.
  return createHmac('sha256', key)
    .update(`blueprint-index-cache\0${FORMAT}\0${VERSION}\0${name}\0`)
    .update(payload)
    .digest();
}

/** Keeps what `update` just verified. */
export async function writeVerified(paths: Layout, name: string, v: VerifiedIndex): Promise<void> {
  const key = await sealingKey(paths);
  const payload = Buffer.from(JSON.stringify({ signer: v.signer, sha256: v.sha256, index: v.index }));
  const head = Buffer.from(`${seal(key, name, payload).toString('hex')}\n`);
  await writeFileAtomic(path.join(paths.listsDir, name, CACHE_FILE), Buffer.concat([head, payload]));
}

/** The kept verified index, or undefined when there is none or it does not match its seal. */
export async function readVerified(paths: Layout, name: string): Promise<VerifiedIndex | undefined> {
  const key = await readKey(paths);
  if (!key) return undefined;
  const bytes = await readFile(path.join(paths.listsDir, name, CACHE_FILE)).catch(() => undefined);
  if (!bytes || bytes.length < 65 || bytes[64] !== 0x0a) return undefined;
  const given = Buffer.from(bytes.subarray(0, 64).toString('latin1'), 'hex');
  const payload = bytes.subarray(65);
  if (given.length !== 32 || !timingSafeEqual(given, seal(key, name, payload))) return undefined;
  const v = JSON.parse(payload.toString('utf8')) as VerifiedIndex;
  return typeof v.signer === 'string' && typeof v.sha256 === 'string' && Array.isArray(v.index?.packages)
    ? v
    : undefined;
}
