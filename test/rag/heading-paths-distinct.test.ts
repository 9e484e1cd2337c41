/**
 * MAX_HEADING_PATHS_CHARS bounds the heading paths a document holds in the parse worker's memory
 * (headings.ts). It counted a path again each time the path came back after another heading, so a
 * document alternating two headings many times (two paths held) was refused as if it held thousands
 * (closing-43.md "Left"). Each distinct path is now counted once, and a path met again is the very
 * string the earlier sections hold: what is counted is what is held.
 */
import { describe, expect, it } from 'vitest';
import {
  Headings,
  MAX_HEADING_CHARS,
  MAX_HEADING_PATH,
  MAX_HEADING_PATHS_CHARS,
} from '../../modules/rag/server/headings.js';
import { parseDocument } from '../../modules/rag/server/parse.js';

/** Five 200-character headings above each deepest one: every path is ~1.2 KB, the longest. */
const above = [1, 2, 3, 4, 5].map((n) => `<h${n}>${String(n).repeat(MAX_HEADING_CHARS)}</h${n}>`).join('');
const deepest = (c: string) => `<h6>${c.repeat(MAX_HEADING_CHARS)}</h6><p>x</p>`;
/** More headings than the bound allows if each one counted its path anew. */
const times = Math.ceil(MAX_HEADING_PATHS_CHARS / MAX_HEADING_PATH) * 2;

describe('heading paths: each distinct path is counted once', () => {
  it('two deepest headings alternating past the bound twice over: parsed, two paths held', async () => {
    const doc = `${above}${Array.from({ length: times }, (_, i) => deepest(i % 2 ? 'F' : 'G')).join('')}`;
    const parsed = await parseDocument('html', Buffer.from(doc), 2000);
    expect(parsed.sections.length).toBe(times);
    const paths = new Set(parsed.sections.map((s) => s.heading));
    expect(paths.size).toBe(2);
    // The two paths are counted once each, and the path that comes back is the string made first.
    const h = new Headings();
    h.set(6, 'G');
    const first = h.path;
    for (let i = 0; i <= times; i++) h.set(6, i % 2 ? 'F' : 'G'); // ends on G
    expect(h.path).toBe(first);
    expect(h.heldChars).toBe(2);
  });

  it('the same through Headings alone: 10 paths of the longest taking turns 100,000 times', () => {
    const h = new Headings();
    for (let level = 1; level <= 5; level++) h.set(level, String(level).repeat(MAX_HEADING_CHARS));
    for (let i = 0; i < 100_000; i++) h.set(6, String.fromCharCode(65 + (i % 10)).repeat(MAX_HEADING_CHARS));
    expect(h.path?.length).toBe(MAX_HEADING_PATH - 3);
    expect(h.heldChars).toBe(10 * (MAX_HEADING_PATH - 3) + (200 + 403 + 606 + 809 + 1012)); // the 10, and the 5 paths above
  });

  it('distinct paths past the bound are still a 413 saying to split the document', async () => {
    const h = new Headings();
    for (let level = 1; level <= 5; level++) h.set(level, String(level).repeat(MAX_HEADING_CHARS));
    const distinct = (i: number) => `${i}`.padStart(MAX_HEADING_CHARS, 'D');
    expect(() => {
      for (let i = 0; i < times; i++) h.set(6, distinct(i));
    }).toThrow(/headings are too many or too long.*split the document/);

    const doc = `${above}${Array.from({ length: times }, (_, i) => `<h6>${distinct(i)}</h6><p>x</p>`).join('')}`;
    await expect(parseDocument('html', Buffer.from(doc), 2000)).rejects.toMatchObject({ status: 413 });
  });
});
