/**
 * One client's documents against rag's one parse worker, while another client's small document
 * waits (the bundle as its own process, lone-rag.ts). Each hostile document is held for its whole
 * parse budget (modules/rag/server/budget.ts): Markdown `_a` (lone-rag.ts slowMarkdown), whose emphasis scan in
 * marked is quadratic, runs to its budget (~13 s) every time.
 *
 * The kit's fair queue starts up to RAG_CONCURRENCY (4) requests at once and takes turns between
 * clients (the kit's clients.ts: a consumer's token names it), but an ingest it started then waited
 * for the worker in the pool's own line, in the order the ingests came, and in one of those four
 * places. So a client that sent four hostile documents at once (on four connections) had all four
 * parsed before another client's document, every retrieval and chat waited for one of them to end,
 * and documents whose client had left were still parsed, each to its budget, for nobody. The
 * parses now take turns by client, a parse whose client left is dropped
 * (modules/rag/server/parse-line.ts), and ingests wait for the worker outside the places
 * retrievals and chats run in (modules/rag/server/api.ts).
 *
 * The checks are of order (how many hostile refusals came first), and against the hostile
 * documents' own budgets, which the worker's watchdog keeps to on a loaded machine too.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBudget } from '../../modules/rag/server/budget.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, slowMarkdown, startLoneRag, Unanswered } from '../rag/lone-rag.js';
import { tempDir } from '../setup/temp-registry.js';

const NORMAL = '# Notes\n\nA paragraph about *things*, with a [link](https://example.org).\n';
const emphasis = slowMarkdown;
const emphasisBudgetMs = parseBudget(
  'markdown',
  Buffer.byteLength(emphasis(10)),
  300,
  10,
  (m) => new Error(m),
).ms;

let rag: ServedProcess;
/** A rag whose consumers have tokens (the file blueprint writes; the kit's clients.ts reads it). */
let tokened: ServedProcess;
const tmp = tempDir('rag-turns-tokens-');
const TOKENS = { attacker: 'a'.repeat(24), victim: 'v'.repeat(24) };
beforeAll(async () => {
  writeFileSync(join(tmp, 'client-tokens'), `attacker ${TOKENS.attacker}\nvictim ${TOKENS.victim}\n`);
  rag = await startLoneRag('rag-turns-');
  tokened = await startLoneRag('rag-turns-', { BLUEPRINT_CLIENT_TOKENS_FILE: join(tmp, 'client-tokens') });
}, 120_000);
afterAll(() => {
  rag?.kill();
  tokened?.kill();
});

describe("one client's documents do not keep another client's waiting behind all of them", () => {
  it('four hostile Markdown documents from one consumer on four connections: another consumer’s document is parsed before the second is refused', async () => {
    const as = (who: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[who]}` });
    const events: string[] = [];
    const sent = new Unanswered(tokened.socket);
    const hostile = [1, 2, 3, 4].map((i) =>
      sent.ingest('text/markdown', `e${i}.md`, emphasis(i), 120_000, as('attacker')).then((r) => {
        events.push(`hostile ${r.status}`);
        return r;
      }),
    );
    await sent.received(); // all four are read and waiting on the worker (before: a 500 ms sleep)
    const normal = await ingest(tokened.socket, 'text/markdown', 'normal.md', NORMAL, 120_000, as('victim'));
    events.push('normal answered');
    expect([normal.status, normal.text]).toEqual(PARSED);
    expect((await Promise.all(hostile)).map((r) => r.status)).toEqual([413, 413, 413, 413]);
    // Only the one the worker had. Before: all four.
    expect(events.slice(0, events.indexOf('normal answered')).length).toBeLessThanOrEqual(1);
  }, 200_000);

  it('three hostile documents whose client left are not parsed for nobody', async () => {
    const events: string[] = [];
    const sent = new Unanswered(rag.socket);
    const kept = sent.ingest('text/markdown', 'k.md', emphasis(11), 120_000);
    await sent.received(); // the kept one reaches the worker first (before: a 200 ms sleep)
    // Three more on connections the client closes once they are read and waiting.
    const left = [12, 13, 14].map((i) => {
      const body = emphasis(i);
      const req = request({
        socketPath: rag.socket,
        method: 'POST',
        path: `/v1/documents?source=l${i}.md`,
        headers: { 'content-type': 'text/markdown', 'content-length': Buffer.byteLength(body) },
      });
      req.on('error', () => undefined);
      req.end(body);
      sent.bytes.set(`l${i}.md`, Buffer.byteLength(body));
      return req;
    });
    await sent.received(); // (before: a 500 ms sleep)
    for (const req of left) req.destroy();
    // The kept one's budget and as much again to spare. Before, each of the three left was parsed
    // to its budget first.
    const twoBudgets = setTimeout(() => events.push('two budgets out'), 2 * emphasisBudgetMs);
    const normal = await ingest(rag.socket, 'text/markdown', 'normal.md', NORMAL, 120_000);
    events.push('normal answered');
    clearTimeout(twoBudgets);
    expect([normal.status, normal.text]).toEqual(PARSED);
    expect((await kept).status).toBe(413);
    expect(events).toEqual(['normal answered']);
  }, 200_000);

  it('four hostile documents waiting on the worker: another client’s retrieval is answered before the first is refused', async () => {
    const events: string[] = [];
    const sent = new Unanswered(rag.socket);
    const hostile = [21, 22, 23, 24].map((i) =>
      sent.ingest('text/markdown', `h${i}.md`, emphasis(i), 120_000).then((r) => {
        events.push(`hostile ${r.status}`);
        return r;
      }),
    );
    await sent.received(); // all four are read and waiting on the worker (before: a 500 ms sleep)
    const retrieval = await new Promise<{ status: number; text: string }>((resolve) => {
      const body = JSON.stringify({ query: 'how do I reset it?' });
      request(
        {
          socketPath: rag.socket,
          method: 'POST',
          path: '/v1/retrieve',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      ).end(body);
    });
    events.push('retrieval answered');
    // Answered by the embeddings module's absence: it got a place and ran.
    expect([retrieval.status, retrieval.text]).toEqual([503, expect.stringMatching(/embeddings module/)]);
    expect((await Promise.all(hostile)).map((r) => r.status)).toEqual([413, 413, 413, 413]);
    // Before: the four held all of the kit's RAG_CONCURRENCY places while they waited.
    expect(events[0]).toBe('retrieval answered');
  }, 200_000);
});
