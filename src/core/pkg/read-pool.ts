/**
 * A package file read through a few buffers used again and again (issue 20). Every 1 MiB read
 * into a new Buffer is 1 MiB more of V8's external memory: a 100 MB install allocated ~200 MB of
 * it (these reads and gunzip's output), which set off six full garbage collections, ~80 ms of the
 * main thread and as much again on V8's helper threads, about a third of the install's CPU. A
 * buffer comes back only when its reader has `release`d every byte pushed from it (the unpacker
 * does so once gunzip has read a chunk through: archive.ts `consumed`), so no byte is overwritten
 * before everything that judges or unpacks it has seen it. A chunk the stream machinery copied
 * (a peeked head put back) is never released and its buffer is simply not used again; a reader
 * that never releases (a copy into the cache) gets a new buffer for every read, as before.
 * Each byte of the file is still read once, in order.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface PooledRead extends Readable {
  /** `chunk` (or part of one this stream pushed) has been read through and may be overwritten. */
  release(chunk: Buffer): void;
}

/** Reads `fh` from its start in pieces of `size` bytes, keeping up to `keep` buffers for reuse. */
export function pooledFileStream(fh: FileHandle, size = 1024 * 1024, keep = 8): PooledRead {
  const free: Buffer[] = [];
  // Buffers handed out, by their memory, with how many of the bytes pushed are not yet released.
  const out = new Map<ArrayBufferLike, { buf: Buffer; left: number }>();
  let position = 0;
  // node:stream taken when a stream is made, not imported: `bpkg update` loads this module with
  // transport.ts and reads a folder's index without a stream (~5 ms of its CPU, issue 20).
  const stream = new (process.getBuiltinModule('node:stream').Readable)({
    highWaterMark: size,
    read() {
      // allocUnsafeSlow: a buffer of its own (not a slice of Node's shared pool), so its memory
      // identifies it when a chunk, or part of one, is released.
      const buf = free.pop() ?? Buffer.allocUnsafeSlow(size);
      fh.read(buf, 0, size, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            free.push(buf);
            stream.push(null);
            return;
          }
          position += bytesRead;
          out.set(buf.buffer, { buf, left: bytesRead });
          stream.push(buf.subarray(0, bytesRead));
        },
        (err: Error) => stream.destroy(err),
      );
    },
    destroy(err, cb) {
      fh.close().then(
        () => cb(err),
        (closeErr: Error) => cb(err ?? closeErr),
      );
    },
  }) as PooledRead;
  stream.release = (chunk) => {
    const held = out.get(chunk.buffer);
    if (!held) return;
    held.left -= chunk.length;
    if (held.left > 0) return;
    out.delete(chunk.buffer);
    if (free.length < keep) free.push(held.buf);
  };
  return stream;
}
