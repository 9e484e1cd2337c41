/**
 * rag's client side of a token-guarded used module (modules/rag/server/upstream.ts): the token file
 * the wiring mounts is read once and kept (it was read at every call: an open, a read and a close
 * on each hop of every retrieval), yet a token that changes is still picked up: a 401 reads the
 * file again and asks once more with the new token, and only a token that is still refused is the
 * module's 503. The body goes out with the right Content-Length when the text is not ASCII.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { Embedder, vectorOf } from '../../modules/rag/server/backends.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

let dir: string;
let server: Server;
let socket: string;
let tokenFile: string;
/** The token the stand-in module accepts now. */
let accepted = 'first-token';
const seen: { authorization?: string; length?: string; bytes: number; input?: unknown }[] = [];
const vector = Buffer.from(new Float32Array([0.5, -0.25]).buffer).toString('base64');

beforeAll(async () => {
  dir = tempDir('rag-upstream-token-');
  socket = join(dir, 'emb.sock');
  tokenFile = join(dir, 'token');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        authorization: req.headers.authorization,
        length: req.headers['content-length'],
        bytes: body.length,
        input: (JSON.parse(body.toString('utf8')) as { input?: unknown }).input,
      });
      const ok = req.headers.authorization === `Bearer ${accepted}`;
      const text = JSON.stringify(
        ok
          ? { object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector }] }
          : { error: { message: 'missing or wrong access token' } },
      );
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
});

const embedder = () =>
  new Embedder(new Upstream({ name: 'embeddings', socket, tokenFile, timeoutMs: 5_000 }));

describe("rag's token for a used module", () => {
  it('reads the token file once: later calls still send it when the file is gone', async () => {
    accepted = 'first-token';
    writeFileSync(tokenFile, 'first-token\n');
    const e = embedder();
    expect(await e.query('one')).toEqual(vector);
    rmSync(tokenFile);
    seen.length = 0;
    expect(await e.query('two')).toEqual(vector);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer first-token']);
  });

  it('after a 401 reads the file again and asks once more with the new token', async () => {
    accepted = 'first-token';
    writeFileSync(tokenFile, 'first-token\n');
    const e = embedder();
    await e.query('warm');
    accepted = 'second-token';
    writeFileSync(tokenFile, 'second-token\n');
    seen.length = 0;
    expect(await e.query('after the change')).toEqual(vector);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer first-token', 'Bearer second-token']);
    seen.length = 0;
    await e.query('next');
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer second-token']);
  });

  it('a token still refused is the module’s 503, asked once when the file did not change', async () => {
    accepted = 'not-ours';
    writeFileSync(tokenFile, 'ours\n');
    seen.length = 0;
    const err = await embedder()
      .query('q')
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
    expect((err as HttpError).message).toMatch(/embeddings module is unavailable \(it answered 401/);
    expect(seen).toHaveLength(1);
  });

  it('sends a text that is not ASCII whole, its Content-Length in bytes', async () => {
    accepted = 'ours';
    writeFileSync(tokenFile, 'ours\n');
    seen.length = 0;
    const q = 'où est la lave ? 火山の溶岩 🌋';
    await embedder().query(q);
    expect(seen[0]!.input).toBe(q);
    expect(Number(seen[0]!.length)).toBe(seen[0]!.bytes);
    expect(seen[0]!.bytes).toBeGreaterThan(JSON.stringify({ input: q }).length);
  });
});

describe('vectorOf', () => {
  const b64 = (a: number[]) => Buffer.from(new Float32Array(a).buffer).toString('base64');
  it('decodes base64 float32s at any offset of the decoded bytes, exactly', () => {
    const values = [1.5, -2, 3.25e-7, 65504, -0.1];
    expect(vectorOf(b64(values))).toEqual(Array.from(new Float32Array(values)));
  });
  it('gives each call its own array, for vectors of any length', () => {
    const first = [0.25, -0.5, 1e-3];
    const a = vectorOf(b64(first));
    const b = vectorOf(b64([7, 8, 9, 10]));
    expect(a).toEqual(Array.from(new Float32Array(first)));
    expect(b).toEqual([7, 8, 9, 10]);
    // Longer than the decode buffer (4,096 float32s): decoded into one of its own.
    const long = Array.from({ length: 5000 }, (_, i) => i / 7 - 300);
    expect(vectorOf(b64(long))).toEqual(Array.from(new Float32Array(long)));
    expect(vectorOf(b64([1, 2]))).toEqual([1, 2]);
  });
  it('refuses text that is not canonical base64 of whole float32s', () => {
    const ok = b64([1, 2, 3]);
    for (const bad of [
      '',
      '!!!!',
      `${ok}!`,
      `${ok.slice(0, -1)}@`,
      ok.slice(0, -4),
      b64([1]).slice(0, 4),
      `${ok} `,
    ])
      expect(vectorOf(bad), JSON.stringify(bad)).toBeUndefined();
  });
  it('refuses numbers that are not finite, in base64 as in JSON', () => {
    for (const bad of [[1, Number.NaN], [Number.POSITIVE_INFINITY], [0, Number.NEGATIVE_INFINITY]])
      expect(vectorOf(b64(bad)), String(bad)).toBeUndefined();
  });
});
