import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pooledFileStream } from '../../src/core/pkg/read-pool.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * install's reads of a folder repository's package go through a few reused buffers
 * (src/core/pkg/read-pool.ts): a buffer may be read into again only once every byte pushed from
 * it has been released, so nothing that judges or unpacks the bytes sees them overwritten.
 */
const SIZE = 64 * 1024;

async function fileOf(bytes: number): Promise<{ file: string; data: Buffer }> {
  const file = path.join(tempDir(), 'pkg.bin');
  const data = randomBytes(bytes);
  writeFileSync(file, data);
  return { file, data };
}

describe('pooledFileStream', () => {
  it('reads the file once, in order, and uses its buffers again once released', async () => {
    const { file, data } = await fileOf(SIZE * 20 + 123);
    const stream = pooledFileStream(await open(file, 'r'), SIZE, 2);
    const seen = new Set<ArrayBufferLike>();
    const hash = createHash('sha256');
    let n = 0;
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      seen.add(c.buffer);
      hash.update(c);
      n += c.length;
      stream.release(c);
    }
    expect(n).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(seen.size).toBeLessThanOrEqual(3); // 21 reads through at most 3 buffers
  });

  it('never overwrites a chunk that is held, nor one released only in part', async () => {
    const { file, data } = await fileOf(SIZE * 12);
    const stream = pooledFileStream(await open(file, 'r'), SIZE, 4);
    const held: Array<{ chunk: Buffer; copy: Buffer }> = [];
    let offset = 0;
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      expect(c.equals(data.subarray(offset, offset + c.length))).toBe(true);
      offset += c.length;
      held.push({ chunk: c, copy: Buffer.from(c) });
      if (offset % (3 * SIZE) === 0) {
        // Half of one chunk released, all of another: only the second may be read into again.
        const [partly, whole] = held.splice(-3, 2);
        stream.release(partly!.chunk.subarray(0, SIZE / 2));
        stream.release(whole!.chunk);
        held.unshift(partly!);
      }
    }
    // Every chunk not wholly released still holds exactly the bytes it was pushed with.
    for (const { chunk, copy } of held) expect(chunk.equals(copy)).toBe(true);
  });

  it('gives a new buffer for every read to a reader that never releases (a copy into the cache)', async () => {
    const { file } = await fileOf(SIZE * 5);
    const stream = pooledFileStream(await open(file, 'r'), SIZE);
    const seen = new Set<ArrayBufferLike>();
    for await (const chunk of stream) seen.add((chunk as Buffer).buffer);
    expect(seen.size).toBe(5);
  });
});
