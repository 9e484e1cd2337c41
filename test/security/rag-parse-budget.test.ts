/**
 * A small document that holds rag's one parse worker for minutes, every other ingest waiting behind
 * it (the rag bundle as its own process, with the shipped RAG_PARSE_TIMEOUT_S of 300 s; the modules
 * it uses absent: a document is parsed before any of them is asked, so a parsed one is their 503).
 *
 * The deadline was one figure for every document: a 5 KB PDF of form XObjects each drawing the
 * next twice (2^30 text runs) or 500 KB of Markdown `_a` (marked's emphasis scan is quadratic:
 * 98 KB took 14.5 s here) held the worker the full 300 s. A parse now has a budget that grows
 * with the document (modules/rag/server/budget.ts), so these are a 413 within seconds, while a
 * 2,000-page PDF (4.8 MiB, ~30 s to parse here: twice a small PDF's 15 s) is still parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag, Unanswered } from '../rag/lone-rag.js';
import { bookPdf, formBombPdf } from '../rag/pdf-fixtures.js';

const NORMAL = '# Notes\n\nA paragraph about *things*, with a [link](https://example.org).\n';

/**
 * The hostile document, and right behind it a normal one: the hostile one a 413 for its budget,
 * the normal one parsed, both within a minute.
 */
async function refusedWithNormalBehind(type: string, name: string, hostile: Buffer | string): Promise<void> {
  const sent = new Unanswered(rag.socket);
  const first = sent.ingest(type, name, hostile);
  await sent.received(); // the hostile one is in the worker first (before: a 300 ms sleep)
  const normal = await ingest(rag.socket, 'text/markdown', 'normal.md', NORMAL);
  const refused = await first;
  expect([refused.status, refused.text]).toEqual([
    413,
    expect.stringMatching(/to parse.*split it or simplify it/),
  ]);
  expect(refused.ms).toBeLessThan(60_000);
  expect([normal.status, normal.text]).toEqual(PARSED);
  expect(normal.ms).toBeLessThan(60_000);
}

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-budget-');
}, 120_000);
afterAll(() => rag?.kill());

describe("a small document's parse gets a budget for its size, not the whole RAG_PARSE_TIMEOUT_S", () => {
  it('a 5 KB PDF of forms drawing forms (2^30 text runs): a 413 within a minute; the ingest behind it is parsed', async () => {
    const pdf = formBombPdf(30);
    expect(pdf.length).toBeLessThan(8 * 1024);
    await refusedWithNormalBehind('application/pdf', 'forms.pdf', pdf);
  }, 200_000);

  it('500 KB of Markdown `_a` (quadratic in marked): a 413 within a minute; the ingest behind it is parsed', async () => {
    await refusedWithNormalBehind('text/markdown', 'emphasis.md', '_a'.repeat(250_000));
  }, 200_000);

  it('a 2,000-page text PDF (4.8 MiB; longer to parse than a small document may take) is parsed', async () => {
    const book = bookPdf(2000, 100);
    expect(book.length).toBeGreaterThan(4.5 * 1024 * 1024);
    const r = await ingest(rag.socket, 'application/pdf', 'book.pdf', book, 300_000);
    expect([r.status, r.text]).toEqual(PARSED);
  }, 320_000);
});
