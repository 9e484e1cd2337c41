/**
 * gunzip's output written into a few buffers used again (issue 20). node:zlib gives every
 * `chunkSize` of output a new Buffer, so a 100 MB install wrote into ~100 MB of fresh memory; glibc
 * hands that memory back to the kernel after each garbage collection and takes it again, and on a
 * VM each of the ~25,000 page faults costs more than the inflating of its 4 KiB (gunzip and two
 * SHA-256 passes over a 100 MB package, the loads taking turns: 0.8–1.6 s, 29,000 faults with a new
 * buffer each time; 0.4–0.5 s, 5,300 faults with four used again).
 *
 * A buffer is written again only once every slice zlib pushed from it has been written to the tar
 * parser, that write returned, and the parser has taken one more write after it: node-tar keeps
 * the tail of a chunk that ends inside a 512-byte block (a reference) and copies it on its next
 * write. And only while every write to the parser returned `true`: `false` means an entry is
 * queued or not flowing, and such an entry holds the slices it was given; after the first `false`
 * no buffer is used again for this archive. So the entry handlers must be done with the bytes they
 * are given when they return (hash and write them, or copy them), as extractStream's are.
 *
 * `_outBuffer` is node:zlib's own field (lib/zlib.js processCallback replaces it when full): where a
 * Node release stops using it, nothing here is called and every buffer is new, as before.
 */
import type { Transform, Writable } from 'node:stream';

interface InUse {
  /** Slices zlib pushed from this buffer, and how many of them the parser has taken. */
  pushed: number;
  written: number;
  /** zlib has moved on to another buffer: no more slices come from this one. */
  full: boolean;
  /** Number of the parser's write that took the last slice. */
  lastWrite: number;
}

export interface InflatePool {
  /** Buffers written again so far (for tests). */
  readonly reused: number;
}

/** Has `inflate` write into buffers `parser` is done with; `keep` of them are held for reuse. */
export function recycleInflateOutput(inflate: Transform, parser: Writable, keep = 4): InflatePool {
  const stats = { reused: 0 };
  const zlib = inflate as Transform & { _outBuffer?: unknown };
  if (!Buffer.isBuffer(zlib._outBuffer)) return stats;
  const free: Buffer[] = [];
  const inUse = new Map<ArrayBufferLike, InUse & { buf: Buffer }>();
  let writes = 0;
  let stopped = false;
  const track = (buf: Buffer) =>
    inUse.set(buf.buffer, { buf, pushed: 0, written: 0, full: false, lastWrite: 0 });

  let current = zlib._outBuffer;
  track(current);
  Object.defineProperty(zlib, '_outBuffer', {
    configurable: true,
    get: () => current,
    set: (fresh: Buffer) => {
      const done = inUse.get(current.buffer);
      if (done) done.full = true;
      const again = free.pop();
      if (again) stats.reused++;
      current = again ?? fresh;
      track(current);
    },
  });

  const push = inflate.push.bind(inflate);
  inflate.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) {
      const held = inUse.get(chunk.buffer);
      if (held) held.pushed++;
    }
    return push(chunk, encoding);
  };

  const write = parser.write.bind(parser) as (chunk: unknown, ...rest: unknown[]) => boolean;
  parser.write = ((chunk: unknown, ...rest: unknown[]) => {
    const taken = write(chunk, ...rest);
    writes++;
    if (!taken) stopped = true;
    if (Buffer.isBuffer(chunk)) {
      const held = inUse.get(chunk.buffer);
      if (held) {
        held.written++;
        held.lastWrite = writes;
      }
    }
    if (!stopped)
      for (const [memory, held] of inUse)
        if (held.full && held.written === held.pushed && held.lastWrite < writes) {
          inUse.delete(memory);
          if (free.length < keep) free.push(held.buf);
        }
    return taken;
  }) as Writable['write'];

  return stats;
}
