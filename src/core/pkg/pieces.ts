import { nodeFs } from './node-lazy.js';

/**
 * Files read in pieces into a buffer the caller gives, for bytes that are only compared or hashed:
 * the package commands' checks of the kept index cache and of a sealed file (index-cache.ts,
 * sealed-write.ts). Not in the executable's start part: the quick `bpkg update` reads the served
 * index alongside its kept copies with readAlongside (node-lazy.ts).
 */

/**
 * Reads `file` from `start` in pieces into `piece`, handing each to `each` (a view of `piece`:
 * used before the next read) with its offset, until the end or until `each` says false. Whether
 * the whole file was read so; false when it cannot be opened or read. For bytes that are only
 * compared or hashed (a 2.6 MB kept index and its cache), which then need no
 * buffer of their own (~600 fresh pages to fault in and free each).
 */
export function eachPiece(
  file: string,
  piece: Buffer,
  each: (bytes: Buffer, at: number) => boolean,
  start = 0,
): boolean {
  const fs = nodeFs();
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    for (let at = start; ; ) {
      const n = fs.readSync(fd, piece, 0, piece.length, at);
      if (n === 0) return true;
      if (!each(piece.subarray(0, n), at)) return false;
      at += n;
    }
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether `file` holds exactly the bytes of `parts`, one after the other, compared in pieces read
 * into `piece` (eachPiece: what is only compared needs no buffer of its own).
 */
export function sameBytesAs(file: string, parts: Uint8Array[], piece: Buffer): boolean {
  let total = 0;
  for (const p of parts) total += p.length;
  let end = 0;
  let k = 0; // the part the next byte is compared with,
  let off = 0; // and where in it
  const read = eachPiece(file, piece, (bytes, at) => {
    end = at + bytes.length;
    if (end > total) return false;
    for (let i = 0; i < bytes.length; ) {
      const p = parts[k]!;
      const n = Math.min(p.length - off, bytes.length - i);
      if (!bytes.subarray(i, i + n).equals(p.subarray(off, off + n))) return false;
      i += n;
      off += n;
      if (off === p.length) {
        k++;
        off = 0;
      }
    }
    return true;
  });
  return read && end === total;
}
