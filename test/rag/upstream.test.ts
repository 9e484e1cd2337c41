/**
 * rag's client side of the hops (modules/rag/server/upstream.ts, backends.ts) against a stand-in
 * module on a unix socket that records what it was asked: the query's vector travels as base64
 * float32 (OpenAI's `encoding_format`), decoded to the same numbers; a module that answers plain
 * floats works too; an answer without a usable vector is the module's fault (503 naming it); and
 * consecutive calls share one kept-alive connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { Embedder, vectorOf } from '../../modules/rag/server/backends.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

let dir: string;
let server: Server;
let socket: string;
let connections = 0;
const asked: Record<string, unknown>[] = [];
/** What the stand-in answers for the next embedding request. */
let answer: (body: Record<string, unknown>) => unknown;

const VECTOR = Float32Array.from([0.1, -0.25, 1 / 3, 7.5e-8, -0.9999]);
const base64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

beforeAll(async () => {
  dir = tempDir('rag-upstream-');
  socket = join(dir, 'emb.sock');
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      asked.push(body);
      const text = JSON.stringify(answer(body));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
});

const embedder = () => new Embedder(new Upstream({ name: 'embeddings', socket, timeoutMs: 5_000 }));
const openAi = (embedding: unknown) => ({
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding }],
});

describe("rag's calls to the embeddings module", () => {
  it('asks for the query vector as base64 float32 and decodes exactly those numbers', async () => {
    answer = (b) => openAi(b.encoding_format === 'base64' ? base64(VECTOR) : Array.from(VECTOR));
    asked.length = 0;
    const v = await embedder().query('what is lava');
    expect(asked).toEqual([{ input: 'what is lava', encoding_format: 'base64' }]);
    // Kept as the text for the search (test/rag/search-encoding.test.ts): exactly those numbers.
    expect(v).toBe(base64(VECTOR));
    expect(vectorOf(v)).toEqual(Array.from(VECTOR));
  });

  it('takes plain floats from a module that ignores encoding_format', async () => {
    answer = () => openAi(Array.from(VECTOR));
    expect(await embedder().query('what is lava')).toEqual(Array.from(VECTOR));
  });

  it('refuses an answer without a usable vector as the module’s fault (503 naming it)', async () => {
    for (const bad of ['AAA', '', [], ['1'], [1, Number.NaN], { x: 1 }]) {
      answer = () => openAi(bad);
      const err = await embedder()
        .query('q')
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(503);
      expect((err as HttpError).message).toMatch(/the embeddings module is unavailable \(.*vector/);
    }
    answer = () => ({ object: 'list', data: [] });
    expect(
      (
        (await embedder()
          .query('q')
          .catch((e: unknown) => e)) as HttpError
      ).status,
    ).toBe(503);
  });

  it('sends consecutive calls over one kept-alive connection', async () => {
    answer = () => openAi(base64(VECTOR));
    const e = embedder();
    const before = connections;
    for (let i = 0; i < 5; i++) await e.query(`question ${i}`);
    expect(connections - before).toBe(1);
  });
});
