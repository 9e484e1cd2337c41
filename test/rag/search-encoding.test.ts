/**
 * rag's search sends the query vector to vectors as the embeddings module answered it, base64
 * float32s with `x-vector-encoding: float32-base64` (modules/vectors/README.md, "A faster encoding
 * for our own clients"); a vectors module that refuses it (one older than the encoding reads the
 * text as a point id: 400) gets the numbers, then only numbers; a search refused either way is
 * still refused; numbers stay numbers.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { isVectorText, VectorIndex, vectorOf } from '../../modules/rag/server/backends.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let socket: string;
/** The stand-in vectors module takes the encoding (a module of this version) or refuses it (older). */
let knowsEncoding = true;
const seen: { encoding?: string; vector: unknown; filter?: unknown }[] = [];
const values = [0.1, -0.7, 0.3333, 1e-8];
const text = Buffer.from(new Float32Array(values).buffer).toString('base64');
const hit = { id: 'x', version: 1, score: 0.5, payload: { document: 'd', text: 't' } };

beforeAll(async () => {
  socket = join(tempDir('rag-search-encoding-'), 'vec.sock');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        vector: unknown;
        filter?: unknown;
      };
      const encoding = req.headers['x-vector-encoding'] as string | undefined;
      seen.push({ encoding, vector: body.vector, filter: body.filter });
      const refused =
        (encoding !== undefined && !knowsEncoding) || (body.filter as { bad?: boolean } | undefined)?.bad;
      res.writeHead(refused ? 400 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(refused ? { status: { error: 'Wrong input' } } : { result: [hit], status: 'ok' }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
});

const index = () => new VectorIndex(new Upstream({ name: 'vectors', socket, timeoutMs: 5_000 }));

describe("rag's search vector", () => {
  it('goes to vectors as the base64 text it came in, with the header', async () => {
    knowsEncoding = true;
    seen.length = 0;
    expect(isVectorText(text)).toBe(true);
    expect(await index().search('c', text, 3, undefined)).toEqual([hit]);
    expect(seen).toEqual([{ encoding: 'float32-base64', vector: text, filter: undefined }]);
  });

  it('goes as numbers to a vectors module that refuses the encoding, then only as numbers', async () => {
    knowsEncoding = false;
    seen.length = 0;
    const idx = index();
    expect(await idx.search('c', text, 3, undefined)).toEqual([hit]);
    expect(await idx.search('c', text, 3, undefined)).toEqual([hit]);
    const numbers = Array.from(new Float32Array(values));
    expect(seen).toEqual([
      { encoding: 'float32-base64', vector: text, filter: undefined },
      { encoding: undefined, vector: numbers, filter: undefined },
      { encoding: undefined, vector: numbers, filter: undefined },
    ]);
    expect(vectorOf(text)).toEqual(numbers);
  });

  it('a search refused for itself is refused (400), and numbers stay numbers', async () => {
    knowsEncoding = true;
    seen.length = 0;
    const err = await index()
      .search('c', text, 3, { bad: true })
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    seen.length = 0;
    expect(await index().search('c', [1, 2, 3, 4], 3, undefined)).toEqual([hit]);
    expect(seen).toEqual([{ encoding: undefined, vector: [1, 2, 3, 4], filter: undefined }]);
  });

  it('takes as vector text only what vectorOf reads as a vector', () => {
    const nan = Buffer.from(new Float32Array([1, Number.NaN]).buffer).toString('base64');
    for (const bad of [
      '',
      'AAA',
      '!!!!',
      `-${text.slice(1)}`,
      nan,
      Buffer.from([1, 2, 3]).toString('base64'),
    ])
      expect(isVectorText(bad), bad).toBe(false);
  });
});
