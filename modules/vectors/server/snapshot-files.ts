/**
 * A snapshot file's description and its bytes for a download, without reading it into memory: a
 * snapshot is as large as its collection (near 1 GiB for one near half the 2 GiB limit), and list
 * (its checksum) and download read each whole before, so one client's download or list of a large
 * snapshot could end the service out of memory (test/security/vectors-snapshot-memory.test.ts: the
 * peak grew by the file's size, 160 MiB). The checksum is kept beside the file (NAME.checksum, as
 * Qdrant keeps it), written when the service writes the snapshot; one without it (a crash between,
 * a file put there by hand) is hashed a chunk at a time and the checksum kept. A download streams
 * the file from one descriptor, a chunk at a time as the client reads.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes read at once (a hash's step, a download's chunk). */
const CHUNK = 256 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;

/** A snapshot's bytes for the kit to stream (api.ts): its length and its chunks. */
export class FileAnswer {
  constructor(
    readonly size: number,
    readonly chunks: AsyncIterable<Uint8Array>,
  ) {}
}

/** The file's SHA-256, read CHUNK bytes at a time. */
async function hashFile(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Keeps a snapshot's checksum beside it (tmp + rename: a reader finds the whole line or none). */
export async function writeChecksum(dir: string, name: string, checksum: string): Promise<void> {
  const tmp = join(dir, `${name}.checksum.tmp`);
  await writeFile(tmp, `${checksum}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, `${name}.checksum`));
}

/** Qdrant's SnapshotDescription of a file in `dir`. */
export async function describe(dir: string, name: string) {
  const path = join(dir, name);
  const st = await stat(path);
  let checksum = (await readFile(`${path}.checksum`, 'utf8').catch(() => '')).trim();
  if (!HEX64.test(checksum)) {
    checksum = await hashFile(path);
    await writeChecksum(dir, name, checksum);
  }
  return {
    name,
    creation_time: st.mtime.toISOString().replace(/Z$/, ''),
    size: st.size,
    checksum,
  };
}

/**
 * A snapshot opened once (no link followed), its size from that descriptor, its bytes read from it
 * into one buffer as the kit asks for them (so as the client reads: the kit waits until the socket
 * has taken each chunk). The
 * descriptor is closed at the end, on an error and when the kit closes the stream (return()),
 * also before the first chunk (a client gone before its turn).
 */
export async function openSnapshot(path: string): Promise<FileAnswer> {
  const fh: FileHandle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (err) {
    await fh.close();
    throw err;
  }
  let at = 0;
  let closed = false;
  // One buffer, refilled: the kit hands a chunk of bytes to the socket before it asks for the next.
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  const chunks: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return chunks;
    },
    async next() {
      if (at >= size) {
        await close();
        return { done: true, value: undefined };
      }
      try {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at);
        if (bytesRead === 0) throw new Error('the snapshot file got shorter while it was sent');
        at += bytesRead;
        return { done: false, value: buf.subarray(0, bytesRead) };
      } catch (err) {
        await close();
        throw err;
      }
    },
    async return() {
      await close();
      return { done: true, value: undefined };
    },
  };
  return new FileAnswer(size, chunks);
}
