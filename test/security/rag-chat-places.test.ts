/**
 * A chat ran whole in one of rag's RAG_CONCURRENCY (4) places (api.ts, its own fair queue):
 * retrieval, then the llm's answer, read to its end. The llm takes rag's chats as one client
 * (consumer:rag) and generates one at a time, each for up to its deadline (300 s), so a client's
 * four chats held every place while three of them only waited at the llm, and every retrieval and
 * chat, any client's, waited behind them. The place is now held for the retrieval only; the llm
 * bounds and orders its own work (its fair queue, its deadline).
 *
 * rag runs as its own process (lone-rag.ts) with small fakes of the three modules: the llm holds
 * every chat answer until the test lets it go.
 */
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { startLoneRag } from '../rag/lone-rag.js';
import { tempDir } from '../setup/temp-registry.js';

const held: (() => void)[] = [];
let rag: ServedProcess;
const servers: Server[] = [];

async function fake(socket: string, handle: (path: string, res: import('node:http').ServerResponse) => void) {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      handle(req.url ?? '', res);
    });
  });
  await new Promise<void>((r) => s.listen(socket, r));
  servers.push(s);
}

beforeAll(async () => {
  const dir = tempDir('rag-chat-places-');
  const sockets = { embeddings: join(dir, 'e.sock'), vectors: join(dir, 'v.sock'), llm: join(dir, 'l.sock') };
  await fake(sockets.embeddings, (path, res) => {
    if (path === '/v1/embeddings') res.end(JSON.stringify({ data: [{ embedding: [0.6, 0.8] }] }));
    else if (path === '/info') res.end(JSON.stringify({ model: 'fake', dimension: 2, max_tokens: 256 }));
    else res.writeHead(404).end('{}');
  });
  await fake(sockets.vectors, (path, res) => {
    if (path.endsWith('/points/search')) res.end(JSON.stringify({ result: [] }));
    else res.writeHead(404).end('{"status":{"error":"Not found"}}');
  });
  await fake(sockets.llm, (path, res) => {
    if (path !== '/v1/chat/completions') return void res.writeHead(404).end('{}');
    held.push(() =>
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        }),
      ),
    );
  });
  rag = await startLoneRag('rag-chat-places-', {
    BLUEPRINT_USES_EMBEDDINGS_SOCKET: sockets.embeddings,
    BLUEPRINT_USES_VECTORS_SOCKET: sockets.vectors,
    BLUEPRINT_USES_LLM_SOCKET: sockets.llm,
  });
}, 120_000);
afterAll(() => {
  rag?.kill();
  for (const s of servers) s.close();
});

function post(path: string, body: unknown): Promise<{ status: number; text: string; at: number }> {
  const data = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath: rag.socket,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, text, at: Date.now() }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, text: err.message, at: Date.now() }));
    req.end(data);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chats waiting on the llm do not hold the places retrievals run in', () => {
  it("four chats held at the llm: another client's retrieval is answered at once", async () => {
    const chats = [1, 2, 3, 4].map(() =>
      post('/v1/chat/completions', { messages: [{ role: 'user', content: 'tell me' }] }),
    );
    for (let i = 0; i < 100 && held.length < 4; i++) await sleep(100);
    expect(held.length).toBe(4); // all four are at the llm
    const asked = Date.now();
    const retrieval = post('/v1/retrieve', { query: 'anything' });
    const first = await Promise.race([retrieval, sleep(5_000).then(() => undefined)]);
    for (const release of held.splice(0)) release();
    expect((await Promise.all(chats)).map((c) => c.status)).toEqual([200, 200, 200, 200]);
    // Before: it waited for a chat's answer (here, the 5 s the test held them).
    expect(first).toMatchObject({ status: 200 });
    expect(first!.at - asked).toBeLessThan(5_000);
  }, 60_000);
});
