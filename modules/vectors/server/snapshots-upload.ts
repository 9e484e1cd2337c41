/**
 * A snapshot upload's file, received as it arrives (the kit's ctx.bodyStream()) into a private
 * file: the first file part of a multipart/form-data body (Qdrant's upload sends one, "snapshot"),
 * or a plain body that is the snapshot itself. Each piece is hashed (SHA-256), CRC'd and copied
 * into one 1 MiB write buffer before the next is asked for, so at most that buffer, a piece and a
 * few bytes held back for the part's delimiter are in memory, whatever the upload's size (before: the whole body, up to the 32 MiB
 * limit, and a copy joined from its pieces). The file is made with O_EXCL|O_NOFOLLOW, 0600: a name
 * someone put there (a link) is refused, never written through. Its frame (magic, CRC, a header
 * length that fits) is checked from what was written; snapshots.ts restores from the file and
 * compares the SHA-256 of the bytes it builds from with the one taken here.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { bad } from './parse.js';
import { MAGIC } from './persist.js';

/** Bytes of a multipart body allowed before the file part's data starts (preamble and part head). */
const MAX_PART_HEAD = 16 * 1024;

/** The file was received but its frame does not check out (the message says why). */
export class UploadFrameError extends Error {}

/** Bytes gathered before a write to the file: one write per piece (64 KiB reads) was a round trip
 * to libuv's threads each, and the upload's reads waited on every one. */
const WRITE_BYTES = 1024 * 1024;

/**
 * Writes pieces to `fh` through one buffer, hashing and CRC'ing them as they come (the CRC leaves
 * out the last 4 bytes: the file's own CRC). A piece is copied, so it is given back at once.
 */
class FileSink {
  private readonly hash = createHash('sha256');
  private crc = 0;
  /** The last (up to) 4 bytes so far, not yet in the CRC. */
  private last = Buffer.alloc(0);
  /** The first bytes (magic and header length). */
  private first = Buffer.alloc(0);
  private readonly buf = Buffer.allocUnsafe(WRITE_BYTES);
  private used = 0;
  /** Bytes written to the file. */
  private written = 0;
  size = 0;
  constructor(private readonly fh: import('node:fs/promises').FileHandle) {}

  async write(b: Buffer): Promise<void> {
    if (b.length === 0) return;
    const want = MAGIC.length + 4;
    if (this.first.length < want)
      this.first = Buffer.concat([this.first, b.subarray(0, want - this.first.length)]);
    this.hash.update(b);
    if (b.length >= 4) {
      this.crc = crc32(this.last, this.crc);
      this.crc = crc32(b.subarray(0, b.length - 4), this.crc);
      this.last = Buffer.from(b.subarray(b.length - 4));
    } else {
      const t = Buffer.concat([this.last, b]);
      if (t.length > 4) this.crc = crc32(t.subarray(0, t.length - 4), this.crc);
      this.last = Buffer.from(t.subarray(Math.max(0, t.length - 4)));
    }
    this.size += b.length;
    for (let at = 0; at < b.length; ) {
      const n = Math.min(b.length - at, this.buf.length - this.used);
      b.copy(this.buf, this.used, at, at + n);
      this.used += n;
      at += n;
      if (this.used === this.buf.length) await this.flush();
    }
  }

  /** Writes what is gathered. */
  async flush(): Promise<void> {
    for (let done = 0; done < this.used; ) {
      const { bytesWritten } = await this.fh.write(this.buf, done, this.used - done, this.written + done);
      done += bytesWritten;
    }
    this.written += this.used;
    this.used = 0;
  }

  /** The frame, as persist.ts's checkCollectionFrame checks it, from what was written. */
  check(): string {
    if (this.size < MAGIC.length + 8 || !this.first.subarray(0, MAGIC.length).equals(MAGIC))
      throw new UploadFrameError('not a vectors collection file');
    if (this.crc >>> 0 !== this.last.readUInt32LE(0))
      throw new UploadFrameError('collection file checksum mismatch');
    if (MAGIC.length + 4 + this.first.readUInt32LE(MAGIC.length) > this.size - 4)
      throw new UploadFrameError('collection file header is longer than the file');
    return this.hash.digest('hex');
  }
}

/**
 * Receives the upload into `path` (made here, 0600, O_EXCL|O_NOFOLLOW; synced) and returns the
 * SHA-256 of its bytes. Throws the kit's errors (413, 503, ClientGoneError) as the body's iterator
 * does, a 400 for a multipart body without a file part, UploadFrameError for a bad frame; the
 * caller removes `path` on any error.
 */
export async function receiveUpload(
  pieces: AsyncIterable<Buffer>,
  contentType: string | undefined,
  path: string,
): Promise<{ sha256: string; size: number }> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const fh = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    const sink = new FileSink(fh);
    if (!m) {
      for await (const piece of pieces) await sink.write(piece);
    } else {
      await multipartFile(pieces, Buffer.from(`--${m[1] ?? m[2]}`), sink);
    }
    await sink.flush();
    const sha256 = sink.check();
    await fh.sync();
    return { sha256, size: sink.size };
  } finally {
    await fh.close();
  }
}

/**
 * The first file part: from the first boundary, past its head (the first blank line after it), up
 * to the next "\r\n--BOUNDARY"; anything after it is read and ignored. As the whole-body parse did,
 * but with the part's head bounded (MAX_PART_HEAD) and the data never held whole.
 */
async function multipartFile(pieces: AsyncIterable<Buffer>, boundary: Buffer, sink: FileSink) {
  const delimiter = Buffer.concat([Buffer.from('\r\n'), boundary]);
  let head: Buffer | undefined = Buffer.alloc(0);
  /** Bytes of the data that may start the delimiter, not written yet. */
  let carry = Buffer.alloc(0);
  let done = false;
  for await (const piece of pieces) {
    if (done) continue;
    let data: Buffer;
    if (head !== undefined) {
      head = Buffer.concat([head, piece]);
      const start = head.indexOf(boundary);
      const headEnd = start < 0 ? -1 : head.indexOf('\r\n\r\n', start);
      if (headEnd < 0) {
        if (head.length > MAX_PART_HEAD) throw bad('the multipart upload has no snapshot part');
        continue;
      }
      data = head.subarray(headEnd + 4);
      head = undefined;
    } else {
      data = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
    }
    const end = data.indexOf(delimiter);
    if (end >= 0) {
      await sink.write(data.subarray(0, end));
      done = true;
      continue;
    }
    const safe = Math.max(0, data.length - (delimiter.length - 1));
    await sink.write(data.subarray(0, safe));
    carry = Buffer.from(data.subarray(safe)); // a copy: the piece is given back to the kit
  }
  if (!done) throw bad('the multipart upload has no snapshot part');
}
