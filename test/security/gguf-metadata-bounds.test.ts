/**
 * `blueprint model import` reads a GGUF from a USB stick: untrusted. Its metadata reader skips
 * arrays (the vocabulary) without keeping them, but an array of strings or of arrays is walked
 * item by item (each string's length must be read to find the next). Every count was only
 * checked against the bytes left, so a 16 GiB file (the package limit) of zero-length strings
 * made 2 billion items: about 23 minutes of CPU after the copy, and the reader does not look at
 * Ctrl-C. Real models walk well under a million (the bound is 4,194,304; Gemma 3's 262,144 tokens, ~500,000 merges).
 *
 * The file here is a FileHandle stand-in: a header, then zeros up to 16 GiB (no disk used).
 */
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readGgufInfo } from '../../src/core/models/gguf.js';
import { str, u32, u64 } from '../helpers/gguf-bytes.js';

/** A file of `size` bytes: `head`, then zeros. */
function zerosAfter(head: Buffer, size: number): FileHandle {
  return {
    read: async (buf: Buffer, off: number, len: number, pos: number) => {
      buf.fill(0, off, off + len);
      if (pos < head.length) head.copy(buf, off, pos, Math.min(head.length, pos + len));
      return { bytesRead: Math.max(0, Math.min(len, size - pos)), buffer: buf };
    },
  } as unknown as FileHandle;
}

const SIZE = 16 * 1024 ** 3;

describe('a GGUF whose metadata arrays hold billions of items', () => {
  it('an array of 2 billion zero-length strings is refused at once, not walked', async () => {
    const count = BigInt(Math.floor((SIZE - 100) / 8));
    const head = Buffer.concat([
      Buffer.from('GGUF'),
      u32(3),
      u64(0n),
      u64(2n),
      str('general.architecture'),
      u32(8),
      str('llama'),
      str('tokenizer.ggml.tokens'),
      u32(9),
      u32(8),
      u64(count),
    ]);
    const started = Date.now();
    const error = await readGgufInfo(zerosAfter(head, SIZE), SIZE).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error?.message).toMatch(/^Not a GGUF model file: .*more than 4194304 items/);
  }, 30_000);

  it('many arrays of strings together are bounded too', async () => {
    // 1,024 arrays of 8,192 zero-length strings: 8.4M items, each array small.
    const parts = [
      Buffer.from('GGUF'),
      u32(3),
      u64(0n),
      u64(1025n),
      str('general.architecture'),
      u32(8),
      str('llama'),
    ];
    for (let i = 0; i < 1024; i++)
      parts.push(str(`x.${i}`), u32(9), u32(8), u64(8192n), Buffer.alloc(8 * 8192));
    const bytes = Buffer.concat(parts);
    const started = Date.now();
    const error = await readGgufInfo(zerosAfter(bytes, bytes.length), bytes.length).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(error?.message).toMatch(/more than 4194304 items/);
  }, 60_000);
});
