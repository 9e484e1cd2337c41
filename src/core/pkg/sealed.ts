import path from 'node:path';
import type { Layout } from '../system/paths.js';
import { VERSION } from '../version.js';
import { nodeCrypto, readBytes } from './node-lazy.js';

/**
 * Sealed files under `lists/`: an HMAC-SHA-256 keyed with 32 random bytes only this box holds
 * (`lists/.cache-key`, mode 0600) over what they hold, the repository's name, their kind and the
 * program's version (index-cache.ts: the verified index cache, its head and its search table;
 * keyring-cache.ts). A seal says this box wrote the file for that name and kind; whether it is
 * still the current one is for its reader to judge (index-cache.ts binds them to the sealed head).
 *
 * This module opens them (the quick `bpkg search` and `update`, in the executable's start part);
 * sealed-write.ts writes them and checks one read in pieces (the package commands).
 */

export const KEY_FILE = '.cache-key';
const FORMAT = 1;

/** node:crypto when first used: this module is in the executable's start part (node-lazy.ts). */
const crypto = nodeCrypto;

export async function readKey(paths: Layout): Promise<Buffer | undefined> {
  const key = readBytes(path.join(paths.listsDir, KEY_FILE));
  return key?.length === 32 ? key : undefined;
}

/** The seal of `payload` as file of kind `kind` for the repository `name` (the lists folder's own: ''). */
export function seal(key: Buffer, name: string, payload: Uint8Array, kind = 'index-cache'): Buffer {
  return hmac(key, name, kind).update(payload).digest();
}

/** The seal's HMAC, fed with everything but the payload. */
export function hmac(key: Buffer, name: string, kind: string) {
  // The name is sealed with the content: repository A's cache is no cache for B. So is the
  // program's version: a version whose index checks are stricter (format.ts) verifies and parses
  // every kept index again once, rather than trusting what an older one accepted. And the kind:
  // a search table is never taken for a cache, nor the reverse.
  return hmacSha256(key).update(`blueprint-${kind}\0${FORMAT}\0${VERSION}\0${name}\0`);
}

/** What the seals use of an HMAC: fed in parts, digested once. */
export interface Mac {
  update(data: string | Uint8Array): Mac;
  digest(): Buffer;
}

/**
 * HMAC-SHA-256 as RFC 2104 defines it, made of two SHA-256 hashes (the same bytes as node:crypto's
 * createHmac: test/pkg/sealed-hmac.test.ts). A quick `bpkg search` or `update` hashes anyway, and
 * createHmac's first use (its Hmac class and secret-key preparation) cost ~0.25 ms of CPU more
 * than a first createHash in each of them (issue 20).
 */
export function hmacSha256(key: Uint8Array): Mac {
  const c = crypto();
  const block = Buffer.alloc(64);
  block.set(key.length > 64 ? c.createHash('sha256').update(key).digest() : key);
  const outer = Buffer.allocUnsafe(64);
  for (let i = 0; i < 64; i++) {
    outer[i] = block[i]! ^ 0x5c;
    block[i]! ^= 0x36;
  }
  const inner = c.createHash('sha256').update(block);
  const mac: Mac = {
    update(data) {
      inner.update(data);
      return mac;
    },
    digest: () => c.createHash('sha256').update(outer).update(inner.digest()).digest(),
  };
  return mac;
}

/** The payload of a sealed file, or undefined when there is none or it does not match its seal. */
export async function readSealed(
  paths: Layout,
  name: string,
  file: string,
  kind?: string,
): Promise<Buffer | undefined> {
  const key = await readKey(paths);
  return key && openSealed(key, paths, name, file, kind);
}

/** readSealed with the box's key already read (search reads two sealed files a repository). */
export function openSealed(
  key: Buffer,
  paths: Layout,
  name: string,
  file: string,
  kind?: string,
): Buffer | undefined {
  const bytes = readBytes(path.join(paths.listsDir, name, file));
  if (!bytes || bytes.length < 65 || bytes[64] !== 0x0a) return undefined;
  const given = Buffer.from(bytes.subarray(0, 64).toString('latin1'), 'hex');
  const payload = bytes.subarray(65);
  if (given.length !== 32 || !crypto().timingSafeEqual(given, seal(key, name, payload, kind)))
    return undefined;
  return payload;
}
