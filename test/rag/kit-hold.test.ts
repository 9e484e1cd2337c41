/**
 * rag on the kit with the kit's queue sized as any module's (RAG_CONCURRENCY running, RAG_MAX_QUEUE
 * waiting), in-process, with a short idle timeout. The kit's idle sweep closes a connection with no
 * traffic and no work, and a request waiting in rag's own lines (the parse worker's, the llm's
 * answer) is in none of the kit's: rag used to give the kit's queue a place for every request it
 * could hold so that the sweep spared them. Now rag passes that work through ctx.hold
 * (modules/kit/server/context.ts), and the kit's bound refuses a flood of heavy work itself.
 */
import { mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createRagServer } from '../../modules/rag/server/api.js';
import { Embedder, VectorIndex } from '../../modules/rag/server/backends.js';
import { ParseLine } from '../../modules/rag/server/parse-line.js';
import { Rag } from '../../modules/rag/server/rag.js';
import { Store } from '../../modules/rag/server/store.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

const IDLE_MS = 1_000;
/** Each parse and each embeddings answer takes this long: several idle timeouts. */
const SLOW_MS = 3_500;

const dir = tempDir('rag-kit-hold-');
let slowEmbeddings: Server;
let kit: KitServer;
const socket = join(dir, 'rag.sock');

/** An embeddings module that answers every call after SLOW_MS, with a 500. */
function startSlow(path: string): Promise<Server> {
  const s = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow and failing' } }));
    }, SLOW_MS);
  });
  return new Promise((resolve) => s.listen(path, () => resolve(s)));
}

beforeAll(async () => {
  mkdirSync(join(dir, 'data'));
  slowEmbeddings = await startSlow(join(dir, 'emb.sock'));
  const up = (name: 'embeddings' | 'vectors' | 'llm', sock: string) =>
    new Upstream({ name, socket: sock, timeoutMs: 30_000 });
  const line = new ParseLine(32);
  const log = createLog({ name: 'rag-test' });
  const rag = new Rag({
    store: await Store.open(join(dir, 'data')),
    embedder: new Embedder(up('embeddings', join(dir, 'emb.sock'))),
    index: new VectorIndex(up('vectors', join(dir, 'none.sock'))),
    llm: up('llm', join(dir, 'none.sock')),
    // The parse worker's line as main.ts runs it, each parse SLOW_MS, finding no text.
    parse: (_kind, _bytes, client, signal) =>
      line.run(
        client,
        () => new Promise((r) => setTimeout(() => r({ chunks: [], pages: null }), SLOW_MS)),
        signal,
      ),
    log,
    config: { chunkTokens: 256, chunkOverlap: 32, maxChunks: 20_000, batch: 32 },
  });
  kit = createRagServer(rag, {
    log,
    upstreams: [],
    streamIdleMs: 30_000,
    limits: { idleTimeoutMs: IDLE_MS, concurrency: 1, maxQueued: 2 },
  });
  await kit.listen(socket);
}, 30_000);
afterAll(async () => {
  await kit?.drain(1_000);
  slowEmbeddings?.close();
});

/** One request on its own connection; a closed connection is status 0 with its error. */
function send(
  path: string,
  body: string,
  type = 'application/json',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, text: err.message }));
    req.end(body);
  });
}

const retrieve = () => send('/v1/retrieve', JSON.stringify({ query: 'how do I reset it?' }));

describe('work waiting in rag’s own lines keeps its connection past the kit’s idle timeout', () => {
  it('two ingests: the second waits for the parse worker for several idle timeouts and is answered', async () => {
    const [a, b] = await Promise.all([
      send('/v1/documents?source=a.txt', 'first document', 'text/plain'),
      send('/v1/documents?source=b.txt', 'second document', 'text/plain'),
    ]);
    // Parsed, then the embeddings module's failure (asked first, thrown once the parse ended).
    // Closed by the idle sweep: status 0, 'socket hang up'.
    for (const r of [a, b]) expect([r.status, r.text]).toEqual([503, expect.stringMatching(/embeddings/)]);
  }, 30_000);

  it('two retrievals with one place: the second waits in the queue for several idle timeouts and is answered', async () => {
    const answers = await Promise.all([retrieve(), retrieve()]);
    for (const r of answers) expect([r.status, r.text]).toEqual([503, expect.stringMatching(/embeddings/)]);
  }, 30_000);

  it('a flood of retrievals: one runs, two wait, the rest are refused at once by the queue’s bound', async () => {
    const started = Date.now();
    const flood = Array.from({ length: 8 }, () =>
      retrieve().then((r) => ({ ...r, ms: Date.now() - started })),
    );
    const answers = await Promise.all(flood);
    const busy = answers.filter((r) => r.status === 503 && /"message":"busy: /.test(r.text));
    expect(busy.length).toBe(5);
    for (const r of busy) expect(r.ms).toBeLessThan(SLOW_MS);
    expect(answers.filter((r) => /embeddings module is unavailable/.test(r.text)).length).toBe(3);
  }, 40_000);
});
