/**
 * A snapshot's collection built from its file as the file is read: once, in order, a chunk at a
 * time. Each chunk goes into the file's SHA-256 (what a recover's `checksum` is compared with),
 * its CRC-32 and then the new collection, so what is checked is exactly what is restored. The new
 * collection is only returned once the whole file checked out (its CRC at the end; the caller
 * compares the SHA-256): the collection it replaces is untouched until then (snapshots.ts swaps
 * it in through the log). Before, a recover read the whole file into memory and copied its
 * vectors out of it before building: with the collection itself (its arena and hnswlib's copy)
 * the peak was ~5 times the file (test/security/vectors-recover-memory.test.ts), enough to end
 * the service at its memory limit with a snapshot near the collection size limit.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { Collection } from './collection.js';
import { checkSnapshot, type Header, MAGIC } from './persist.js';

/** The bytes of a snapshot, handed out once, in order. */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` with the next bytes; throws if there are not that many. */
  fill(into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * A file opened once (the last part of its path no link), its size from that descriptor; every
 * byte read from that descriptor, in libuv's threads (the event loop turns between chunks). Only
 * a regular file (O_NONBLOCK: opening a FIFO put there would wait for a writer).
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  let size: number;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    await fh.close();
    throw err;
  }
  let at = 0;
  return {
    size,
    async fill(into) {
      for (let done = 0; done < into.length; ) {
        const { bytesRead } = await fh.read(into, done, into.length - done, at);
        if (bytesRead === 0) throw new Error('the snapshot file got shorter while it was read');
        done += bytesRead;
        at += bytesRead;
      }
    },
    close: () => fh.close(),
  };
}

/** An upload's body (already in memory: the kit's body limit bounds it). */
export function bufferSource(buf: Buffer): ByteSource {
  let at = 0;
  return {
    size: buf.length,
    async fill(into) {
      if (at + into.length > buf.length) throw new Error('not a vectors collection file');
      into.set(buf.subarray(at, at + into.length));
      at += into.length;
    },
    close: async () => {},
  };
}

/** Bytes of vectors read at once (at least one vector: up to 256 KiB at 65,536 dimensions). */
const CHUNK_BYTES = 1024 * 1024;
/** Inserts into a snapshot's graph per turn of the event loop, as the store's large upserts. */
const SLICE_MS = 10;

/**
 * The collection a snapshot holds, named `name`, and the SHA-256 of every byte read. The file sets
 * the graph's parameters (m up to 128, ef_construct up to 4096, the API's ranges): its points go
 * into the graph SLICE_MS at a time, the event loop turning between slices (in one go, a 1 MB
 * file of 20,000 points held the main thread 64 s). Stops (its graph freed) when `signal` is
 * aborted (the client left) and on anything wrong with the file.
 */
export async function buildSnapshot(
  src: ByteSource,
  name: string,
  signal?: AbortSignal,
): Promise<{ collection: Collection; sha256: string }> {
  const hash = createHash('sha256');
  let crc = 0;
  const take = async (into: Uint8Array) => {
    await src.fill(into);
    hash.update(into);
    crc = crc32(into, crc);
    return into;
  };
  const lead = Buffer.from(await take(new Uint8Array(MAGIC.length + 4)));
  if (src.size < MAGIC.length + 8 || !lead.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a vectors collection file');
  const hlen = lead.readUInt32LE(MAGIC.length);
  if (hlen > src.size - MAGIC.length - 8) throw new Error('collection file has the wrong vector data length');
  // The header (ids, payloads) is held: the collection keeps what it holds anyway.
  const header = JSON.parse(Buffer.from(await take(new Uint8Array(hlen))).toString('utf8')) as Header;
  checkSnapshot(header);
  const d = header.config.size;
  const n = header.ids.length;
  if (src.size !== MAGIC.length + 8 + hlen + n * d * 4)
    throw new Error('collection file has the wrong vector data length');
  const per = Math.max(1, Math.floor(CHUNK_BYTES / (d * 4)));
  // One buffer, refilled: upsert copies each vector (into the arena and the graph).
  const scratch = new ArrayBuffer(Math.min(per, Math.max(1, n)) * d * 4);
  const c = new Collection(name, header.config, Math.max(1024, n));
  try {
    for (let i = 0; i < n; ) {
      const k = Math.min(per, n - i);
      const vecs = new Float32Array(scratch, 0, k * d);
      await take(new Uint8Array(scratch, 0, k * d * 4));
      for (let j = 0; j < k; ) {
        const until = performance.now() + SLICE_MS;
        do {
          c.upsert(
            {
              id: header.ids[i]!,
              vector: vecs.subarray(j * d, (j + 1) * d),
              payload: header.payloads[i] ?? undefined,
            },
            header.versions[i]!,
          );
          i++;
          j++;
        } while (j < k && performance.now() < until);
        if (j < k) await new Promise((r) => setImmediate(r));
        if (signal?.aborted) throw new Error('the client left while the snapshot was built');
      }
    }
    const tail = new Uint8Array(4);
    await src.fill(tail);
    hash.update(tail);
    if (Buffer.from(tail).readUInt32LE(0) !== crc >>> 0) throw new Error('collection file checksum mismatch');
    c.payloadSchema = header.payloadSchema ?? {};
    for (const field of Object.keys(c.payloadSchema)) c.createFieldIndex(field);
    return { collection: c, sha256: hash.digest('hex') };
  } catch (err) {
    c.dispose();
    throw err;
  }
}
