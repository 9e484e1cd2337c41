/**
 * REVIEW10's low finding 1: compression lets a tiny .docx make millions of sections (the lone rag
 * bundle, lone-rag.ts, with an embeddings module that answers /info so the document gets as far as
 * chunking; vectors is absent, so a document that passes ends in its 503).
 *
 * - An 80 KB .docx of 1.4 million one-letter paragraphs (30.7 MiB of XML, under the small worker's
 *   32 MiB inflate cap) ran the small parse worker's 96 MiB heap out: it died and restarted, and the
 *   large worker parsed the document again.
 * - Paragraphs each under a heading of its own make a chunk each: all of them were chunked in the
 *   worker, sent to rag's main thread (700,000 chunks from a 234 KB .docx: a 20.7 MiB structured
 *   clone, +64 MiB on the main thread) and only there refused against RAG_MAX_CHUNKS, the refusal
 *   counting them all. HTML the same at larger sizes.
 *
 * Now the worker stops at the section bound (MAX_SECTIONS) and at RAG_MAX_CHUNKS, so what crosses
 * to the main thread is at most the limit: the refusal names the bound, not a count past it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECTIONS } from '../../modules/rag/server/parse-result.js';
import { compressedDocx, DOCX_TYPE, docxHeading, docxParagraph } from '../helpers/office-documents.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, startRagWithInfoOnlyEmbeddings } from '../rag/lone-rag.js';

let rag: ServedProcess;
let close = () => {};
beforeAll(async () => {
  ({ rag, close } = await startRagWithInfoOnlyEmbeddings('rag-office-amp-'));
}, 120_000);
afterAll(() => close());

describe('rag: a small compressed document cannot make millions of sections or chunks', () => {
  it('an 80 KB .docx of 1.4 million paragraphs: 413 at the section bound, the small worker never dies', async () => {
    const body = await compressedDocx('<w:p><w:t>a</w:t></w:p>'.repeat(1_400_000));
    expect(body.length).toBeLessThan(100_000);
    const r = await ingest(rag.socket, DOCX_TYPE, 'many.docx', body, 180_000);
    expect(rag.log()).not.toMatch(/needs the large parse worker|worker stopped|worker exited/);
    expect([r.status, r.text]).toEqual([
      413,
      expect.stringMatching(new RegExp(`more than ${MAX_SECTIONS} paragraphs`)),
    ]);
  }, 200_000);

  it('a .docx of 100,000 headed paragraphs: refused in the worker at RAG_MAX_CHUNKS (20,000), no count past it', async () => {
    const headed = (i: number) => `${docxHeading(0, i % 2 ? 'A' : 'B')}${docxParagraph('text')}`;
    const body = await compressedDocx(Array.from({ length: 100_000 }, (_, i) => headed(i)).join(''));
    const r = await ingest(rag.socket, DOCX_TYPE, 'headed.docx', body, 180_000);
    expect(r.status, r.text).toBe(413);
    // The main thread refused 100,000 chunks it had been sent ('makes 100000 chunks'); the worker
    // stops at the first chunk past the limit, so none of that crosses.
    expect(r.text).toMatch(/more than 20000 chunks, the limit \(RAG_MAX_CHUNKS\)/);
    expect(r.text).not.toMatch(/100000/);
  }, 200_000);

  it('HTML the same: 30,000 headed paragraphs are refused in the worker at RAG_MAX_CHUNKS', async () => {
    const html = `<body>${'<h1>A</h1><p>text</p><h1>B</h1><p>text</p>'.repeat(15_000)}</body>`;
    const r = await ingest(rag.socket, 'text/html', 'headed.html', html, 180_000);
    expect(r.status, r.text).toBe(413);
    expect(r.text).toMatch(/more than 20000 chunks, the limit \(RAG_MAX_CHUNKS\)/);
    expect(r.text).not.toMatch(/30000/);
  }, 200_000);
});
