/**
 * `blueprint model import` reads a GGUF from a USB stick (untrusted), and since 6d01bf91 the whole
 * tensor table too (to refuse a file cut short). Its count was checked only against the bytes left
 * (32 a tensor at least), so a 16 GiB file (the package limit) of minimal tensor entries had 536
 * million of them walked one by one: minutes of CPU, as the metadata's arrays had before
 * (gguf-metadata-bounds.test.ts). Real models have at most tens of thousands of tensors.
 * And a general.alignment that is a string or a fraction threw the BigInt constructor's own
 * SyntaxError or RangeError, not the reader's "Not a GGUF model file".
 *
 * The file here is a FileHandle stand-in: a header, then one tensor entry repeated (no disk used).
 */
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readGgufInfo } from '../../src/core/models/gguf.js';
import { str, u32, u64 } from '../helpers/gguf-bytes.js';

/** One tensor entry: no name, one dimension of 32 elements, F32, at offset 0 (32 bytes). */
const ENTRY = Buffer.concat([u64(0n), u32(1), u64(32n), u32(0), u64(0n)]);

/** A file of `size` bytes: `head`, then ENTRY over and over. */
function entriesAfter(head: Buffer, size: number): FileHandle {
  return {
    read: async (buf: Buffer, off: number, len: number, pos: number) => {
      const n = Math.max(0, Math.min(len, size - pos));
      for (let i = 0; i < n; i++) {
        const p = pos + i;
        buf[off + i] = p < head.length ? head[p]! : ENTRY[(p - head.length) % ENTRY.length]!;
      }
      return { bytesRead: n, buffer: buf };
    },
  } as unknown as FileHandle;
}

const header = (tensors: bigint, extra: Buffer[] = [], kv = 1n) =>
  Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(tensors),
    u64(kv),
    str('general.architecture'),
    u32(8),
    str('llama'),
    ...extra,
  ]);

const refusal = (fh: FileHandle, size: number) =>
  readGgufInfo(fh, size).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );

describe("a GGUF's tensor table", () => {
  it('a count of hundreds of millions of tensors is refused before any is walked', async () => {
    const SIZE = 16 * 1024 ** 3;
    const head = header(0n);
    const count = BigInt(Math.floor((SIZE - head.length - 64) / ENTRY.length));
    const fh = entriesAfter(header(count), SIZE);
    const error = await refusal(fh, SIZE);
    expect(error?.message).toMatch(/^Not a GGUF model file: .*more than 1048576 tensors/);
  }, 30_000);

  it('a real count is walked as before', async () => {
    const head = header(3n);
    const size = head.length + 3 * ENTRY.length + 64 + 3 * 128;
    const info = await readGgufInfo(entriesAfter(head, size), size);
    expect(info.parameters).toBe(96n);
  });

  it.each([
    ['a string', Buffer.concat([u32(8), str('x')])],
    [
      'a fraction',
      Buffer.concat([
        u32(6),
        (() => {
          const b = Buffer.alloc(4);
          b.writeFloatLE(1.5);
          return b;
        })(),
      ]),
    ],
  ])('a general.alignment that is %s is no GGUF, said as such', async (_what, value) => {
    const head = header(1n, [str('general.alignment'), value], 2n);
    const size = head.length + ENTRY.length + 64 + 128;
    const error = await refusal(entriesAfter(head, size), size);
    expect(error?.constructor.name).toBe('VerificationError');
    expect(error?.message).toMatch(/^Not a GGUF model file: its general.alignment .* is not a power of two/);
  });
});
