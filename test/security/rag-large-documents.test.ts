/**
 * A ~4 MiB hostile document against rag's one parse worker (the bundle as its own process, the
 * shipped RAG_PARSE_TIMEOUT_S of 300 s; lone-rag.ts). The parse budget grows with the document's
 * size (modules/rag/server/budget.ts), so a large document may hold the worker for its budget: the
 * question is whether its size justifies what it gets, and whether other clients' documents wait.
 *
 * HTML: '<div>' × N then '</span>' × N. htmlparser2 looks for each close tag down its whole stack of
 * open elements, so the work is quadratic: 40,000 of each (480 KB) took 11.7 s here, 20,000 took
 * 2.1 s. The 4 MiB version would take hours, so it held the worker for all of its budget (33 s
 * for 4 MiB of HTML, 10 × what the slowest legitimate HTML of that size takes), every other
 * document waiting. Legitimate HTML is not nested that deep (3,186 pages of /usr/share/doc and Rust's
 * docs: 25 at most), so more than 1,024 open elements are refused as they are met (parse.ts,
 * MAX_HTML_DEPTH), and at that depth unmatched closes cost about 1 s a MiB.
 *
 * The checks are of order, not of milliseconds: another client's small document, sent just after
 * the hostile one, must be parsed before the hostile one's budget has run out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBudget } from '../../modules/rag/server/budget.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag, Unanswered } from '../rag/lone-rag.js';

const MiB = 1024 * 1024;
const NORMAL = '# Notes\n\nA paragraph about *things*, with a [link](https://example.org).\n';

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-large-');
}, 120_000);
afterAll(() => rag?.kill());

describe('a ~4 MiB hostile document does not hold the parse worker for its size', () => {
  it('4 MiB of HTML nested 350,000 deep with unmatched closes: another client’s document is parsed before its budget is out', async () => {
    const n = 350_000;
    const html = `<html><body>${'<div>'.repeat(n)}${'</span>'.repeat(n)}</body></html>`;
    expect(html.length).toBeGreaterThan(4 * MiB);
    // What the old budget gave it (the cap of 300 s aside): the moment a fair worker must beat.
    const budget = parseBudget('html', html.length, 300, 10, (m) => new Error(m));
    const events: string[] = [];
    const deadline = setTimeout(() => events.push('hostile budget out'), budget.ms);
    const sent = new Unanswered(rag.socket);
    const hostile = sent.ingest('text/html', 'deep.html', html, 120_000).then((r) => {
      events.push('hostile answered');
      return r;
    });
    await sent.received(); // the hostile one reaches the worker first (before: a 300 ms sleep)
    const normal = await ingest(rag.socket, 'text/markdown', 'normal.md', NORMAL, 120_000);
    events.push('normal answered');
    const refused = await hostile;
    clearTimeout(deadline);
    expect([normal.status, normal.text]).toEqual(PARSED);
    // The normal document did not wait out the hostile one's budget.
    expect(events.slice(0, events.indexOf('normal answered'))).not.toContain('hostile budget out');
    expect([refused.status, refused.text]).toEqual([413, expect.stringMatching(/nested too deeply/)]);
  }, 200_000);
});
