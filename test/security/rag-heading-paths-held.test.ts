/**
 * REVIEW13 (attack on 24dcf325, rag 0.5.0's map of heading paths): MAX_HEADING_PATHS_CHARS bounds the
 * characters of the distinct heading paths a document makes, 16 Mi, and Headings keeps each one in a
 * map for the parse's length (before, a path no section held was garbage at once). The bound counted
 * the characters only: a document of short distinct headings and no text under them (`<h1>a<h1>b…`,
 * 11 bytes each, well inside RAG_MAX_BODY_BYTES' 32 MiB) held millions of entries, each a map slot
 * and a string header far larger than its few characters: 3.7 million paths, ~200 MB of the parse
 * worker's heap (the small worker has 96 MB), where the bound says 16 Mi characters. Each path is
 * now counted with what holding it costs, so the heap held stays near the bound's own size.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Headings, MAX_HEADING_PATHS_CHARS } from '../../modules/rag/server/headings.js';
import { parseDocument } from '../../modules/rag/server/parse.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe("rag's heading paths: what the map holds stays near its bound", () => {
  it('distinct short paths up to the bound: the heap they hold is bounded, not ~200 MB', () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const headings = new Headings();
    let made = 0;
    try {
      for (; made < 10_000_000; made++) headings.set(1, made.toString(36));
    } catch (err) {
      expect((err as { status?: number }).status).toBe(413);
    }
    gc();
    const heldMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    expect(headings.heldChars).toBeLessThanOrEqual(MAX_HEADING_PATHS_CHARS);
    // Still many paths: the bound is not met by refusing early.
    expect(made).toBeGreaterThan(250_000);
    // 16 Mi one-byte characters are 16 MiB; twice that leaves room for a map of longer paths.
    expect(heldMb).toBeLessThan(40);
  }, 120_000);

  it('HTML of short distinct headings inside the body limit: the 413 saying to split', async () => {
    const parts: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 30 * 2 ** 20; i++) {
      const h = `<h1>${i.toString(36)}`;
      parts.push(h);
      bytes += h.length;
    }
    const doc = Buffer.from(parts.join(''));
    expect(doc.length).toBeLessThan(32 * 2 ** 20); // RAG_MAX_BODY_BYTES' default takes it
    await expect(parseDocument('html', doc, 2000)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/headings are too many or too long.*split the document/),
    });
  }, 120_000);
});
