/**
 * vectors' snapshot upload received as a stream (modules/vectors/server/snapshots-upload.ts): the
 * file part of a multipart body written to a private file piece by piece, with the delimiter found
 * however the pieces split it; a part that never ends or a bad frame refused; and the file made
 * with O_EXCL|O_NOFOLLOW: a link put at its name is never written through.
 */
import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAGIC } from '../../modules/vectors/server/persist.js';
import { receiveUpload, UploadFrameError } from '../../modules/vectors/server/snapshots-upload.js';
import { tempDir } from '../setup/temp-registry.js';

/** A minimal well-framed collection file (magic, header length, header, CRC). */
function framed(header: string): Buffer {
  const h = Buffer.from(header);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  const body = Buffer.concat([MAGIC, len, h]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}

async function* split(data: Buffer, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

const B = 'b0undary';
const multipart = (file: Buffer, end = `\r\n--${B}--\r\n`) =>
  Buffer.concat([
    Buffer.from(
      `preamble\r\n--${B}\r\nContent-Disposition: form-data; name="snapshot"; filename="x"\r\n\r\n`,
    ),
    file,
    Buffer.from(end),
  ]);

describe('snapshot upload received as a stream', () => {
  it('the file part is written whole and alone, whatever the pieces, with its SHA-256', async () => {
    const file = framed(`{"x":"${'\r\n--b0undar'.repeat(20)}"}`); // near-delimiters inside the data
    const body = multipart(file);
    for (const size of [1, 2, 3, 7, 13, 64, 100000]) {
      const path = join(tempDir('vec-up-'), 'u.snapshot.tmp');
      const got = await receiveUpload(split(body, size), `multipart/form-data; boundary=${B}`, path);
      expect(readFileSync(path).equals(file), `pieces of ${size}`).toBe(true);
      expect(got.size).toBe(file.length);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  });

  it('a plain body is the file itself', async () => {
    const file = framed('{}');
    const path = join(tempDir('vec-up-'), 'u.tmp');
    await receiveUpload(split(file, 5), 'application/octet-stream', path);
    expect(readFileSync(path).equals(file)).toBe(true);
  });

  it('a part that never ends, a head that never ends, a bad CRC: refused', async () => {
    const file = framed('{}');
    const ct = `multipart/form-data; boundary=${B}`;
    await expect(
      receiveUpload(split(multipart(file, ''), 9), ct, join(tempDir('vec-up-'), 'a')),
    ).rejects.toThrow(/no snapshot part/);
    await expect(
      receiveUpload(split(Buffer.alloc(64 * 1024, 0x61), 1000), ct, join(tempDir('vec-up-'), 'b')),
    ).rejects.toThrow(/no snapshot part/);
    const flipped = Buffer.from(file);
    flipped[MAGIC.length + 5]! ^= 1;
    await expect(receiveUpload(split(flipped, 4), 'x', join(tempDir('vec-up-'), 'c'))).rejects.toThrow(
      UploadFrameError,
    );
  });

  it('a link put at the file name is refused, its target untouched', async () => {
    const dir = tempDir('vec-up-');
    const target = join(dir, 'target');
    writeFileSync(target, 'mine');
    symlinkSync(target, join(dir, 'u.tmp'));
    await expect(receiveUpload(split(framed('{}'), 8), 'x', join(dir, 'u.tmp'))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(target, 'utf8')).toBe('mine');
    expect(lstatSync(join(dir, 'u.tmp')).isSymbolicLink()).toBe(true);
  });
});
