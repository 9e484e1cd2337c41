import path from 'node:path';
import { storageErrorFrom } from '../errors.js';
import { assertInsideRootSync, ensureDir, writeFileAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { VERSION } from '../version.js';
import { eachPiece, nodeCrypto, nodeFs, readBytes } from './node-lazy.js';

/**
 * Sealed files under `lists/`: an HMAC-SHA-256 keyed with 32 random bytes only this box holds
 * (`lists/.cache-key`, mode 0600) over what they hold, the repository's name, their kind and the
 * program's version (index-cache.ts: the verified index cache, its head and its search table;
 * keyring-cache.ts). A seal says this box wrote the file for that name and kind; whether it is
 * still the current one is for its reader to judge (index-cache.ts binds them to the sealed head).
 */

const fsp = () => nodeFs().promises;
const KEY_FILE = '.cache-key';
const FORMAT = 1;

/** node:crypto when first used: this module is in the executable's start part (node-lazy.ts). */
const crypto = nodeCrypto;

export async function readKey(paths: Layout): Promise<Buffer | undefined> {
  const key = readBytes(path.join(paths.listsDir, KEY_FILE));
  return key?.length === 32 ? key : undefined;
}

/** The box's sealing key, made on first use (a torn or missing one is replaced: caches then rebuild). */
async function sealingKey(paths: Layout): Promise<Buffer> {
  const existing = await readKey(paths);
  if (existing) return existing;
  const key = process.getBuiltinModule('node:crypto').randomBytes(32);
  await writeFileAtomic(path.join(paths.listsDir, KEY_FILE), key, 0o600);
  return key;
}

function seal(key: Buffer, name: string, payload: Uint8Array, kind = 'index-cache'): Buffer {
  return hmac(key, name, kind).update(payload).digest();
}

/** The seal's HMAC, fed with everything but the payload. */
function hmac(key: Buffer, name: string, kind: string) {
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

/**
 * `seal` in hex, a newline, then the payload: a file whose every byte is sealed (the seal in hex is
 * returned). Written beside and renamed into place, but not fsynced (~50 ms of a 10,000-package
 * update): after a power cut the file is the old one, the new one, or torn; a torn one does not
 * match its seal, so the kept index.json (synced) is verified against its signature again. The old
 * one is a state an interrupted update could always leave: its seal holds, it was verified before,
 * and the sealed head says whether it is the kept index's (readVerified, readSearchTable).
 */
export async function writeSealed(
  paths: Layout,
  name: string,
  file: string,
  payload: Buffer,
  kind?: string,
): Promise<string> {
  const key = await sealingKey(paths);
  const sealHex = seal(key, name, payload, kind).toString('hex');
  const head = Buffer.from(`${sealHex}\n`);
  const dir = path.join(paths.listsDir, name);
  const tmp = path.join(dir, `.${file}.${process.pid}.tmp`);
  // Judged where it really is: a link at lists/NAME out of the root must not carry the write
  // (search and install write a missing cache or table here without the root check of update).
  assertInsideRootSync(paths.root, [dir]);
  try {
    await ensureDir(dir);
    await fsp().writeFile(tmp, Buffer.concat([head, payload]), { mode: 0o644 });
    await fsp().rename(tmp, path.join(dir, file));
  } catch (err) {
    await fsp()
      .rm(tmp, { force: true })
      .catch(() => {});
    throw storageErrorFrom(err, `writing ${path.join(dir, file)}`);
  }
  return sealHex;
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

/**
 * Whether a sealed file matches its seal, as readSealed judges it, read in pieces into `piece`
 * and hashed on the way (eachPiece: what is only checked needs no buffer of its own); and, when
 * `expected` is given, whether that seal is the one expected (hex); when `opens` is given, whether
 * the payload begins with those bytes.
 */
export function sealHolds(
  key: Buffer,
  name: string,
  file: string,
  kind: string,
  piece: Buffer,
  expected?: string,
  opens?: Buffer,
): boolean {
  let given: Buffer | undefined;
  const mac = hmac(key, name, kind);
  const read = eachPiece(file, piece, (bytes, at) => {
    // The first piece opens with the seal in hex and a newline (a file is read whole up to the piece's size).
    const body = at === 0 ? bytes.subarray(65) : bytes;
    if (at === 0) {
      if (bytes.length < 65 || bytes[64] !== 0x0a) return false;
      const hex = bytes.subarray(0, 64).toString('latin1');
      if (expected !== undefined && hex !== expected) return false;
      // A header line is ~200 bytes: within the first piece (256 KB) of any file that holds it.
      if (opens && !bytes.subarray(65, 65 + opens.length).equals(opens)) return false;
      given = Buffer.from(hex, 'hex');
    }
    mac.update(body);
    return true;
  });
  return read && given?.length === 32 && crypto().timingSafeEqual(given, mac.digest());
}
