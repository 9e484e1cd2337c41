/**
 * A document's heading path is carried by every chunk under it (its `heading`, kept in the chunk's
 * payload in vectors and put in the chat prompt as "section: …"), and the parse worker sends its
 * chunks back to rag's main thread by structured clone, which copies a string once per object that
 * holds it. A heading had no length limit: a 1.1 MiB Markdown document with a 1 MiB heading above
 * 200 paragraphs made 400 chunks, 420 MB on the way back (copied again into rag's heap, and 32 MiB
 * in each upsert to vectors); a 12 MiB one (RAG_MAX_BODY_BYTES is 32 MiB) several GB, past the
 * container's 1 GiB. Each heading is now cut to MAX_HEADING_CHARS and the path to MAX_HEADING_PATH.
 *
 * The worker's own steps are run here (parseDocument, then chunkSections, then v8's serializer,
 * the one postMessage uses), so the bytes measured are the bytes rag's main thread receives.
 */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { chunkSections } from '../../modules/rag/server/chunk.js';
import {
  Headings,
  MAX_HEADING_CHARS,
  MAX_HEADING_PATH,
  MAX_HEADING_PATHS_CHARS,
} from '../../modules/rag/server/headings.js';
import { parseDocument } from '../../modules/rag/server/parse.js';

const PARA = `${'word '.repeat(300)}\n\n`;

async function workerAnswer(kind: 'markdown' | 'html', doc: string) {
  const parsed = await parseDocument(kind, Buffer.from(doc), 2000);
  const chunks = chunkSections(parsed.sections, { tokens: 254, overlap: 32 });
  return { chunks, bytes: serialize({ chunks, pages: parsed.pages }).length };
}

describe("a long heading is not copied into every chunk's answer from the parse worker", () => {
  it('Markdown: a 1 MiB heading above 200 paragraphs: the answer is not hundreds of times the document', async () => {
    const doc = `# ${'H'.repeat(1 << 20)}\n\n${PARA.repeat(200)}`;
    const { chunks, bytes } = await workerAnswer('markdown', doc);
    expect(chunks.length).toBeGreaterThan(100);
    // Before: 420 MB (each of 400 chunks carried the whole 1 MiB heading).
    expect(bytes).toBeLessThan(4 * doc.length);
    for (const c of chunks) expect(c.heading!.length).toBeLessThanOrEqual(MAX_HEADING_PATH);
    expect(chunks[0]!.heading!.startsWith('HHHH')).toBe(true); // cut, not dropped
  });

  it('Markdown: six levels of long headings: the path is bounded too', async () => {
    const levels = [1, 2, 3, 4, 5, 6].map((n) => `${'#'.repeat(n)} ${String(n).repeat(100_000)}\n\n`);
    const doc = `${levels.join('')}${PARA.repeat(100)}`;
    const { chunks, bytes } = await workerAnswer('markdown', doc);
    expect(bytes).toBeLessThan(4 * doc.length);
    for (const c of chunks) expect(c.heading!.length).toBeLessThanOrEqual(MAX_HEADING_PATH);
  });

  it('HTML: a 1 MiB <h1> above 200 paragraphs: the same bound', async () => {
    const doc = `<h1>${'H'.repeat(1 << 20)}</h1>${`<p>${PARA}</p>`.repeat(200)}`;
    const { chunks, bytes } = await workerAnswer('html', doc);
    expect(chunks.length).toBeGreaterThan(100);
    expect(bytes).toBeLessThan(4 * doc.length);
    for (const c of chunks) expect(c.heading!.length).toBeLessThanOrEqual(MAX_HEADING_CHARS);
  });

  it('a heading of emoji is cut between characters, not inside a surrogate pair', async () => {
    const doc = `# ${'😀'.repeat(50_000)}\n\n${PARA}`;
    const { chunks } = await workerAnswer('markdown', doc);
    const h = chunks[0]!.heading!;
    expect(h.length).toBeLessThanOrEqual(MAX_HEADING_CHARS);
    expect(/\p{Cs}/u.test(h)).toBe(false);
  });

  it('the same heading again keeps its path; distinct paths past MAX_HEADING_PATHS_CHARS are a 413 saying to split', async () => {
    // REVIEW11: a path was joined anew at every heading, the same one included, and each section
    // kept its own (test/security/rag-notes-amplification: the small worker ran out of heap).
    const same = new Headings();
    for (let i = 0; i < 200_000; i++) same.set(1, 'A'.repeat(MAX_HEADING_CHARS)); // 40 Mi characters if counted
    expect(same.path).toBe('A'.repeat(MAX_HEADING_CHARS));

    const above = [1, 2, 3, 4, 5]
      .map((n) => `<h${n}>${String(n).repeat(MAX_HEADING_CHARS)}</h${n}>`)
      .join('');
    const deepest = (c: string) => `<h6>${c.repeat(MAX_HEADING_CHARS)}</h6><p>x</p>`;
    const times = Math.ceil(MAX_HEADING_PATHS_CHARS / MAX_HEADING_PATH) + 1000;
    // Two paths taking turns are two paths held, counted once each (RAG5: test/rag/heading-paths-distinct).
    const alternating = `${above}${Array.from({ length: times }, (_, i) => deepest(i % 2 ? 'F' : 'G')).join('')}`;
    expect((await parseDocument('html', Buffer.from(alternating), 2000)).sections.length).toBe(times);
    const distinct = (i: number) => `<h6>${String(i).padStart(MAX_HEADING_CHARS, 'D')}</h6><p>x</p>`;
    const many = `${above}${Array.from({ length: times }, (_, i) => distinct(i)).join('')}`;
    await expect(parseDocument('html', Buffer.from(many), 2000)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/headings are too many or too long.*split the document/),
    });
    const repeated = await parseDocument('html', Buffer.from(`${above}${deepest('F').repeat(times)}`), 2000);
    expect(repeated.sections.length).toBe(times);
  });

  it('ordinary headings are kept whole', async () => {
    const doc = '# Install\n\n## On Debian\n\nRun apt-get install blueprint.\n';
    const { chunks } = await workerAnswer('markdown', doc);
    expect(chunks.map((c) => c.heading)).toEqual(['Install > On Debian']);
  });
});
