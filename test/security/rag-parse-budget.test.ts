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
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../modules/rag/package.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { bookPdf, formBombPdf } from '../rag/pdf-fixtures.js';
import { spawnServer } from '../rag/server-harness.js';
import { tempDir } from '../setup/temp-registry.js';

interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** POSTs a document; an answer that has not come after `waitMs` is status 0 (the test then fails). */
function ingest(
  socket: string,
  type: string,
  name: string,
  body: Buffer | string,
  waitMs = 90_000,
): Promise<Answer> {
  const started = Date.now();
  const data = Buffer.from(body);
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: `/v1/documents?source=${name}`,
        headers: { 'content-type': type, 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            text: Buffer.concat(chunks).toString(),
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.setTimeout(waitMs, () => req.destroy(new Error(`no answer within ${waitMs / 1000} s`)));
    req.on('error', (err) => resolve({ status: 0, text: err.message, ms: Date.now() - started }));
    req.end(data);
  });
}

const parsed = [503, expect.stringMatching(/embeddings module is unavailable/)];
const NORMAL = '# Notes\n\nA paragraph about *things*, with a [link](https://example.org).\n';

/** The hostile document, and right behind it a normal one: both answered within a minute. */
async function withNormalBehind(hostile: Promise<Answer>): Promise<[Answer, Answer]> {
  await new Promise((r) => setTimeout(r, 300)); // the hostile one is in the worker first
  return Promise.all([hostile, ingest(rag.socket, 'text/markdown', 'normal.md', NORMAL)]);
}

let rag: ServedProcess;
beforeAll(async () => {
  const dir = tempDir('rag-budget-');
  const file = join(dir, 'server.mjs');
  await bundleServer(file);
  const nowhere = join(dir, 'none.sock');
  rag = await spawnServer(
    file,
    {
      RAG_DATA_DIR: join(dir, 'data'),
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: nowhere,
      BLUEPRINT_USES_VECTORS_SOCKET: nowhere,
      BLUEPRINT_USES_LLM_SOCKET: nowhere,
    },
    join(dir, 'api.sock'),
  );
}, 120_000);
afterAll(() => rag?.kill());

describe("a small document's parse gets a budget for its size, not the whole RAG_PARSE_TIMEOUT_S", () => {
  it('a 5 KB PDF of forms drawing forms (2^30 text runs): a 413 within a minute; the ingest behind it is parsed', async () => {
    const pdf = formBombPdf(30);
    expect(pdf.length).toBeLessThan(8 * 1024);
    const [bomb, normal] = await withNormalBehind(ingest(rag.socket, 'application/pdf', 'forms.pdf', pdf));
    expect([bomb.status, bomb.text]).toEqual([
      413,
      expect.stringMatching(/to parse.*split it or simplify it/),
    ]);
    expect(bomb.ms).toBeLessThan(60_000);
    expect([normal.status, normal.text]).toEqual(parsed);
    expect(normal.ms).toBeLessThan(60_000);
  }, 200_000);

  it('500 KB of Markdown `_a` (quadratic in marked): a 413 within a minute; the ingest behind it is parsed', async () => {
    const md = '_a'.repeat(250_000);
    const [slow, normal] = await withNormalBehind(ingest(rag.socket, 'text/markdown', 'emphasis.md', md));
    expect([slow.status, slow.text]).toEqual([
      413,
      expect.stringMatching(/to parse.*split it or simplify it/),
    ]);
    expect(slow.ms).toBeLessThan(60_000);
    expect([normal.status, normal.text]).toEqual(parsed);
    expect(normal.ms).toBeLessThan(60_000);
  }, 200_000);

  it('a 2,000-page text PDF (4.8 MiB; longer to parse than a small document may take) is parsed', async () => {
    const book = bookPdf(2000, 100);
    expect(book.length).toBeGreaterThan(4.5 * 1024 * 1024);
    const r = await ingest(rag.socket, 'application/pdf', 'book.pdf', book, 300_000);
    expect([r.status, r.text]).toEqual(parsed);
  }, 320_000);
});
