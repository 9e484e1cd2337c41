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
import { MAX_HEADING_CHARS, MAX_HEADING_PATH } from '../../modules/rag/server/headings.js';
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

  it('ordinary headings are kept whole', async () => {
    const doc = '# Install\n\n## On Debian\n\nRun apt-get install blueprint.\n';
    const { chunks } = await workerAnswer('markdown', doc);
    expect(chunks.map((c) => c.heading)).toEqual(['Install > On Debian']);
  });
});
