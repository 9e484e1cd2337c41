import path from 'node:path';
import { storageErrorFrom } from '../errors.js';
import { assertInsideRootSync, ensureDir, removeDeadTemps, writeFileAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { nodeCrypto, nodeFs } from './node-lazy.js';
import { eachPiece } from './pieces.js';
import { hmac, KEY_FILE, readKey } from './sealed.js';

/**
 * Sealed files' writing half (sealed.ts says what a seal is, and opens them): the box's sealing key
 * made on first use, a sealed file written, and one checked as it is read in pieces. Only the
 * package commands (index-cache.ts, keyring-cache-write.ts) do these, so none of it is in the
 * executable's start part, where the quick `bpkg search` and `update` only open sealed files.
 */

const fsp = () => nodeFs().promises;
const crypto = nodeCrypto;

/** The box's sealing key, made on first use (a torn or missing one is replaced: caches then rebuild). */
async function sealingKey(paths: Layout): Promise<Buffer> {
  const existing = await readKey(paths);
  if (existing) return existing;
  // From Node's crypto binding in the executable (crypto-lite.ts): node:crypto's load was ~8 ms of
  // a box's first `bpkg update` (issue 20).
  const key = crypto().randomBytes(32);
  await writeFileAtomic(path.join(paths.listsDir, KEY_FILE), key, 0o600);
  return key;
}

/** The layouts of package managers that write no cache (a dry run's: `writesNoCaches`). */
const readOnly = new WeakSet<Layout>();

/**
 * Sealed files are not written for `paths` from now on: writeSealed throws, and every cache a read
 * would make again (an index cache, a search table, the keyring cache) is best effort, so the read
 * answers all the same (`bpkg install --dry-run` changes nothing on the box).
 */
export function writesNoCaches(paths: Layout): void {
  readOnly.add(paths);
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
  payload: Uint8Array | Uint8Array[],
  kind?: string,
): Promise<string> {
  if (readOnly.has(paths)) throw new Error(`${file} is not written: a dry run writes no cache`);
  const key = await sealingKey(paths);
  // In parts: a cache that is the verified bytes between two short strings is sealed and written
  // as they are, not copied twice into new 2.6 MB buffers first (~10 ms of a first update, issue 20).
  const parts = Array.isArray(payload) ? payload : [payload];
  const mac = hmac(key, name, kind ?? 'index-cache');
  for (const p of parts) mac.update(p);
  const sealHex = mac.digest().toString('hex');
  const head = Buffer.from(`${sealHex}\n`);
  const dir = path.join(paths.listsDir, name);
  const tmp = path.join(dir, `.${file}.${process.pid}.tmp`);
  // Judged where it really is: a link at lists/NAME out of the root must not carry the write
  // (search and install write a missing cache or table here without the root check of update).
  assertInsideRootSync(paths.root, [dir]);
  try {
    await ensureDir(dir);
    // A writer killed between its write and its rename (SIGKILL, power cut) left its file: swept
    // here, as writeFileAtomic sweeps its own, never a live process's.
    await removeDeadTemps(dir, file);
    await fsp().writeFile(tmp, [head, ...parts], { mode: 0o644 });
    await fsp().rename(tmp, path.join(dir, file));
  } catch (err) {
    await fsp()
      .rm(tmp, { force: true })
      .catch(() => {});
    throw storageErrorFrom(err, `writing ${path.join(dir, file)}`);
  }
  return sealHex;
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
