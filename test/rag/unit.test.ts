/**
 * The rag module's parts in process: parsing with the real parsers (a PDF made by pdf-lib read by
 * pdf.js, HTML by htmlparser2, Markdown by marked), chunking within the token budget with overlap
 * and metadata, the record store's commit and markers, and duplicate recognition by content hash.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kindFromName } from '../../modules/rag/server/api.js';
import { sourcesOf, withContext } from '../../modules/rag/server/chat.js';
import { chunkSections, estimateTokens, splitChunk } from '../../modules/rag/server/chunk.js';
import {
  kindOf,
  ParseError,
  parseDocument,
  parseHtml,
  parseMarkdown,
  parseText,
} from '../../modules/rag/server/parse.js';
import { type DocumentRecord, Store } from '../../modules/rag/server/store.js';
import { breadMarkdown, footballHtml, makePdf, volcanoPages } from '../fixtures/rag/corpus.js';
import { tempDir } from '../setup/temp-registry.js';

const tmp = tempDir('rag-unit-');

describe('parsing', () => {
  it('reads a PDF page by page with pdf.js, keeping page numbers', async () => {
    const pdf = await makePdf([...volcanoPages, [], ['A third page about glaciers.']]);
    const parsed = await parseDocument('pdf', pdf, 100);
    expect(parsed.pages).toBe(4);
    expect(parsed.sections.map((s) => s.page)).toEqual([1, 2, 4]); // page 3 is blank
    expect(parsed.sections[0]!.text).toContain('Volcanoes form where molten magma rises');
    expect(parsed.sections[1]!.text).toMatch(/lava, ash and hot gases\.\s+Lava flows/);
    expect(parsed.sections[2]).toEqual({ text: 'A third page about glaciers.', page: 4, heading: null });
  });

  it('refuses a PDF over the page limit (413) and bytes that are no PDF (400)', async () => {
    const pdf = await makePdf([['one'], ['two'], ['three']]);
    await expect(parseDocument('pdf', pdf, 2)).rejects.toMatchObject({ status: 413, message: /3 pages/ });
    await expect(parseDocument('pdf', Buffer.from('%PDF-1.7\nnot really'), 10)).rejects.toBeInstanceOf(
      ParseError,
    );
  });

  it('refuses block quotes nested past 100 levels by name, before marked recurses into them', async () => {
    // 20,000 levels took marked ~4 s to overflow its stack (and more on a loaded machine, past a
    // parse deadline): the answer then named a RangeError, not what to change.
    const deep = Buffer.from(`${'> '.repeat(20_000)}x`);
    await expect(parseDocument('markdown', deep, 10)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/block quotes nested 20000 deep \(at most 100\)/),
    });
    const email = `${Array.from({ length: 40 }, (_, i) => `${'>'.repeat(i + 1)} reply ${i}`).join('\n')}\n`;
    expect((await parseDocument('markdown', Buffer.from(email), 10)).sections.length).toBeGreaterThan(0);
  });

  it('refuses HTML with more than 1,024 elements open at once, and counts implied and void closes', () => {
    // Unmatched closes are looked for down the whole stack: quadratic (480 KB took 11.7 s).
    expect(() => parseHtml(`${'<div>'.repeat(1025)}${'</span>'.repeat(1000)}`)).toThrow(
      expect.objectContaining({
        status: 413,
        message: expect.stringMatching(/more than 1024 elements open/),
      }),
    );
    const ok = parseHtml(`${'<div>'.repeat(1024)}deep${'</div>'.repeat(1024)}`);
    expect(ok.sections.map((x) => x.text)).toEqual(['deep']);
    // A <p> closes the <p> before it, an <li> the <li>; <br> and <img> never stay open.
    expect(parseHtml(`<body>${'<p>a<br><img src=x>b'.repeat(2000)}`).sections).toHaveLength(4000);
    expect(parseHtml(`<ul>${'<li>a<br>b'.repeat(2000)}</ul>`).sections).toHaveLength(4000);
  });

  it('takes the visible text of HTML by block, headings as the path, no script or style', () => {
    const { sections } = parseHtml(footballHtml);
    expect(sections).toEqual([
      {
        text: 'The home team scored a late goal and won the championship.',
        page: null,
        heading: 'Football > The final match',
      },
      {
        text: 'The striker kicked the ball past the goalkeeper while fans cheered in the stadium.',
        page: null,
        heading: 'Football > The final match',
      },
      { text: 'The coach praised the players and the referee.', page: null, heading: 'Football > Players' },
    ]);
    expect(parseHtml('<p>Fish &amp; chips &lt;3</p>').sections[0]!.text).toBe('Fish & chips <3');
  });

  it('keeps Markdown headings as metadata, and a # in a code block is not one', () => {
    const { sections } = parseMarkdown(breadMarkdown);
    expect(sections.map((s) => s.heading)).toEqual([
      'Baking bread at home',
      'Baking bread at home > Kneading the dough',
      'Baking bread at home > Baking',
      'Baking bread at home > Baking',
    ]);
    expect(sections[3]!.text).toBe('# not a heading: a comment in a code block');
    // A level-3 heading under a level-1 one, then a new level-1 resets the path.
    const nested = parseMarkdown('# A\n\n### C\n\ntext c\n\n# B\n\ntext b\n').sections;
    expect(nested.map((s) => s.heading)).toEqual(['A > C', 'B']);
  });

  it('splits plain text by paragraph and refuses bytes that are not UTF-8', async () => {
    expect(parseText('one\n\n\ntwo\nlines\n').sections.map((s) => s.text)).toEqual(['one', 'two\nlines']);
    await expect(parseDocument('text', Buffer.from([0x66, 0xff, 0x66]), 1)).rejects.toMatchObject({
      status: 400,
    });
  });

  it('knows its media types and guesses a JSON upload’s kind from its name', () => {
    expect(kindOf('application/pdf')).toBe('pdf');
    expect(kindOf('text/markdown; charset=utf-8')).toBe('markdown');
    expect(kindOf('application/msword')).toBeUndefined();
    expect(kindFromName('notes.MD')).toBe('markdown');
    expect(kindFromName('page.htm')).toBe('html');
    expect(kindFromName('a.txt')).toBe('text');
  });
});

describe('chunking', () => {
  const sentence = (i: number) => `Sentence number ${i} talks about rivers, mountains and glaciers.`;
  const long = Array.from({ length: 200 }, (_, i) => sentence(i)).join(' ');

  it('keeps every chunk within the token budget, with overlapping sentences', () => {
    const chunks = chunkSections([{ text: long, page: 3, heading: 'Geo' }], { tokens: 64, overlap: 24 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(estimateTokens(c.text)).toBeLessThanOrEqual(64);
      expect(c).toMatchObject({ page: 3, heading: 'Geo' });
    }
    // The last sentence of a chunk starts the next one.
    for (let i = 1; i < chunks.length; i++) {
      const last = chunks[i - 1]!.text.split(/(?<=\.) /).at(-1)!;
      expect(chunks[i]!.text.startsWith(last)).toBe(true);
    }
    // Nothing is lost: every sentence is in some chunk.
    for (let i = 0; i < 200; i++) expect(chunks.some((c) => c.text.includes(sentence(i)))).toBe(true);
  });

  it('never joins text across a page or a heading', () => {
    const chunks = chunkSections(
      [
        { text: 'Short one.', page: 1, heading: null },
        { text: 'Short two.', page: 2, heading: null },
        { text: 'Short three.', page: 2, heading: 'H' },
        { text: 'Short four.', page: 2, heading: 'H' },
      ],
      { tokens: 200, overlap: 20 },
    );
    expect(chunks).toEqual([
      { text: 'Short one.', page: 1, heading: null },
      { text: 'Short two.', page: 2, heading: null },
      { text: 'Short three.\n\nShort four.', page: 2, heading: 'H' },
    ]);
  });

  it('cuts a sentence or a single word longer than the budget', () => {
    const words = Array.from({ length: 300 }, () => 'word').join(' ');
    const blob = 'x'.repeat(5000);
    for (const text of [words, blob]) {
      const chunks = chunkSections([{ text, page: null, heading: null }], { tokens: 50, overlap: 0 });
      expect(chunks.length).toBeGreaterThan(1);
      for (const c of chunks) expect(estimateTokens(c.text)).toBeLessThanOrEqual(50);
      expect(
        chunks
          .map((c) => c.text)
          .join('')
          .replaceAll(' ', ''),
      ).toBe(text.replaceAll(' ', ''));
    }
  });

  it('estimates tokens on the high side of a WordPiece tokenizer', () => {
    expect(estimateTokens('the cat sat')).toBe(3);
    expect(estimateTokens('internationalization')).toBeGreaterThanOrEqual(5);
    expect(estimateTokens('東京都')).toBe(3);
    expect(estimateTokens('2026-11-29!')).toBe(7);
  });

  it('splits a chunk the model refused at the word nearest its middle', () => {
    const [a, b] = splitChunk({ text: 'alpha beta gamma delta', page: 7, heading: 'X' })!;
    expect([a.text, b.text]).toEqual(['alpha beta', 'gamma delta']);
    expect(b).toMatchObject({ page: 7, heading: 'X' });
    expect(splitChunk({ text: 'a', page: null, heading: null })).toBeUndefined();
  });
});

describe('document store', () => {
  const record = (id: string, sha: string, collection = 'default'): DocumentRecord => ({
    id,
    source: `${id}.txt`,
    collection,
    sha256: sha,
    chunks: 2,
    pages: null,
    bytes: 10,
    kind: 'text',
    createdAt: new Date(0).toISOString(),
  });
  const idA = '00000000-0000-4000-8000-00000000000a';
  const idB = '00000000-0000-4000-8000-00000000000b';

  it('commits records durably and recognises the same content by hash, per collection', async () => {
    const dir = join(tmp, 'store1');
    const s = await Store.open(dir);
    await s.commitAdd(record(idA, 'aa'));
    await s.commitAdd(record(idB, 'bb', 'other'));
    const reopened = await Store.open(dir);
    expect(reopened.findBySha('default', 'aa')?.id).toBe(idA);
    expect(reopened.findBySha('other', 'aa')).toBeUndefined();
    expect(reopened.list('other').map((d) => d.id)).toEqual([idB]);
    await reopened.commitRemove(idA);
    expect((await Store.open(dir)).get(idA)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['documents.json', 'pending']); // no temporary file left
  });

  it('keeps markers until removed, and forgets a torn one that never got its rename', async () => {
    const dir = join(tmp, 'store2');
    const s = await Store.open(dir);
    await s.mark({ id: idA, op: 'ingest', collection: 'default' });
    writeFileSync(join(dir, 'pending', `${idB}.json.tmp`), '{"id":');
    expect(await (await Store.open(dir)).markers()).toEqual([
      { id: idA, op: 'ingest', collection: 'default' },
    ]);
    expect(readdirSync(join(dir, 'pending'))).toEqual([`${idA}.json`]);
    await s.unmark(idA);
    expect(await s.markers()).toEqual([]);
  });
});

describe('chat context', () => {
  const chunk = (document: string, page: number | null, score: number) => ({
    document,
    source: `${document}.pdf`,
    page,
    heading: null,
    text: `text of ${document}`,
    score,
  });

  it('numbers the passages in the system message, merged with the client’s own', () => {
    const msgs = withContext(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'q' },
      ],
      [chunk('a', 2, 0.9)],
    );
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.content).toMatch(/^Be brief\.\n\n/);
    expect(msgs[0]!.content).toContain('[1] (source: a.pdf, page 2)\ntext of a');
  });

  it('lists each document and page once, best first', () => {
    expect(
      sourcesOf([chunk('a', 1, 0.9), chunk('a', 1, 0.8), chunk('a', 2, 0.7), chunk('b', null, 0.6)]),
    ).toEqual([
      { document: 'a', source: 'a.pdf', page: 1, score: 0.9 },
      { document: 'a', source: 'a.pdf', page: 2, score: 0.7 },
      { document: 'b', source: 'b.pdf', page: null, score: 0.6 },
    ]);
  });
});
