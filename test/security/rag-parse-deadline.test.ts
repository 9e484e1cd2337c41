/**
 * Documents whose parse takes minutes against the rag module (its bundle as its own process; the
 * modules it uses absent: a document is parsed before any of them is asked). marked's lexer takes
 * ~110 s of CPU for 4 MB of Markdown nesting 2,000 lists (and more than linearly longer for more),
 * 200 KB of "*a" takes ~12 s, htmlparser2 ~14 s for 200,000 nested <div>. The parse worker is one:
 * every other ingest waited behind such a document, as long as it took. A parse now has a deadline
 * (RAG_PARSE_TIMEOUT_S), after which the worker is stopped and started again, the document a 413.
 * The documents here are larger than those figures, so that a faster machine is past the deadline
 * too. marked's recursion into 20,000 nested block quotes overflowed the worker's stack: a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag } from '../rag/lone-rag.js';

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-deadline-', { RAG_PARSE_TIMEOUT_S: '6' });
}, 120_000);
afterAll(() => rag?.kill());

describe('a document that takes too long to parse is a 413 at the deadline, and the next is parsed', () => {
  it('Markdown nesting 3,000 lists (9 MB): 413 within seconds, not minutes', async () => {
    const md = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i * 2)}- x`).join('\n');
    const r = await ingest(rag.socket, 'text/markdown', 'lists.md', md, 30_000);
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/RAG_PARSE_TIMEOUT_S/)]);
    expect(r.ms).toBeLessThan(15_000);
  }, 60_000);

  it('HTML nesting 400,000 <div>: 413 the same', async () => {
    const r = await ingest(rag.socket, 'text/html', 'deep.html', `${'<div>'.repeat(400_000)}x`, 30_000);
    expect(r.status).toBe(413);
  }, 60_000);

  it('Markdown nesting 20,000 block quotes (40 KB): a 413 saying so, not a 500 stack overflow', async () => {
    const r = await ingest(rag.socket, 'text/markdown', 'quotes.md', `${'> '.repeat(20_000)}x`, 30_000);
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/nested too deeply/)]);
  }, 60_000);

  it('then a plain document is parsed by the restarted worker (the missing embeddings module is the 503)', async () => {
    const r = await ingest(
      rag.socket,
      'text/markdown',
      'ok.md',
      '# Title\n\nSome text about things.\n',
      30_000,
    );
    expect([r.status, r.text]).toEqual(PARSED);
  }, 60_000);
});
