/**
 * The kit charges a request's body to one budget for all (RAG_MAX_BUFFERED_BYTES, 96 MiB) until
 * its answer, and over it every request with a body is a 503 ("too many request bodies"). An
 * ingest's body stays charged while it waits for the one parse worker (and on through its
 * embedding), so one client's documents waiting behind a slow one (each held for its whole parse
 * budget) held the whole budget: every retrieval and chat, any client's, was refused for as long.
 * Ingests in progress now hold at most half the budget; one over that is a 503 at once (its body
 * given back), and the other half stays for retrievals and chats.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { slowMarkdown, startLoneRag, Unanswered } from '../rag/lone-rag.js';

const MIB = 1024 * 1024;
const BUDGET = 96 * MIB; // RAG_MAX_BUFFERED_BYTES's default (main.ts)
const BODY = 32 * MIB; // RAG_MAX_BODY_BYTES's default
const slow = slowMarkdown('slow');

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-ingest-bytes-');
}, 120_000);
afterAll(() => rag?.kill());

function retrieve(): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ query: 'what is it?' });
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath: rag.socket,
        method: 'POST',
        path: '/v1/retrieve',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, text: err.message }));
    req.end(body);
  });
}

describe("one client's waiting documents do not hold the whole body budget", () => {
  it('a slow document, then documents filling the budget to a few bytes: a retrieval is still let in', async () => {
    const sent = new Unanswered(rag.socket);
    const first = sent.ingest('text/markdown', 'slow.md', slow, 120_000);
    await sent.received(); // the slow one holds the worker (before: a 300 ms sleep)
    // The rest of the budget but 8 bytes, in documents of at most the body limit.
    let left = BUDGET - Buffer.byteLength(slow) - 8;
    const sizes: number[] = [];
    while (left > 0) {
      sizes.push(Math.min(BODY, left));
      left -= sizes.at(-1)!;
    }
    const filling = sizes.map((n, i) => sent.ingest('text/plain', `fill-${i}.txt`, 'a'.repeat(n), 120_000));
    await sent.received(); // all received and waiting (or refused) (before: a 1.5 s sleep)
    const r = await retrieve();
    // Let in: it reaches the (absent) embeddings module. Before: the kit's budget refused it.
    expect(r.text).not.toMatch(/too many request bodies/);
    expect([r.status, r.text]).toEqual([503, expect.stringMatching(/embeddings module is unavailable/)]);
    // Refused by the ingests' share: all of it, or (one client, ingest-share.ts) this client's half.
    const answers = await Promise.all(filling);
    expect(
      answers.some((a) => a.status === 503 && /bytes of documents (are )?being ingested/.test(a.text)),
    ).toBe(true);
    expect((await first).status).toBe(413);
  }, 180_000);
});
