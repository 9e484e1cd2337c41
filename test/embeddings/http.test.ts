import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../modules/embeddings/server/engine.js';
import { createApiServer } from '../../modules/embeddings/server/http.js';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { call, FIXTURE_MODELS, maxAbsDiff, tinyBertReference } from './helpers.js';

const ref = tinyBertReference();
const TOKEN = 'test-token-0123456789abcdef';
const dir = tempDir('emb-http-');
const open = join(dir, 'open.sock');
const locked = join(dir, 'locked.sock');
let engine: Engine;
const servers: KitServer[] = [];

beforeAll(async () => {
  engine = await createEngine({ modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu', log: () => {} });
  const log = createLog({ name: 'test', write: () => {} });
  const limits = { maxBatch: 4, maxInputChars: 4096, maxBodyBytes: 64 * 1024, maxQueue: 8, log };
  servers.push(createApiServer(engine, limits), createApiServer(engine, { ...limits, token: TOKEN }));
  await servers[0]!.listen(open);
  await servers[1]!.listen(locked);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.drain(1000)));
  await engine?.dispose();
});

type OpenAiBody = {
  object: string;
  model: string;
  data: { index: number; embedding: number[] | string }[];
  usage: Record<string, number>;
};

describe('HTTP API over a unix socket', () => {
  it('answers /health and /info', async () => {
    expect(statSync(open).isSocket()).toBe(true);
    expect(await call(open, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const info = await call(open, 'GET', '/info');
    expect(info.body).toMatchObject({
      model: 'tiny-bert',
      dimension: 32,
      max_tokens: 64,
      max_batch: 4,
      device: 'cpu',
    });
  });

  it('POST /v1/embeddings matches torch, in the OpenAI shape', async () => {
    const cases = ref.cases.slice(0, 3);
    const r = await call(open, 'POST', '/v1/embeddings', {
      model: 'whatever',
      input: cases.map((c) => c.text),
    });
    expect(r.status).toBe(200);
    const body = r.body as OpenAiBody;
    expect(body).toMatchObject({ object: 'list', model: 'tiny-bert' });
    const tokens = cases.reduce((n, c) => n + c.input_ids.length, 0);
    expect(body.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    body.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      expect(maxAbsDiff(d.embedding as number[], cases[i]!.embedding)).toBeLessThan(1e-5);
    });
    const one = (await call(open, 'POST', '/v1/embeddings', { input: cases[1]!.text })).body as OpenAiBody;
    expect(one.data).toHaveLength(1);
  });

  it('encodes base64 as little-endian float32 when asked', async () => {
    const c = ref.cases[0]!;
    const r = (await call(open, 'POST', '/v1/embeddings', { input: c.text, encoding_format: 'base64' }))
      .body as OpenAiBody;
    const buf = Buffer.from(r.data[0]!.embedding as string, 'base64');
    const v = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    expect(maxAbsDiff(v, c.embedding)).toBeLessThan(1e-5);
  });

  it('truncates long inputs on /v1/embeddings, refuses them on /embed unless truncate is set', async () => {
    const long = ref.cases.at(-1)!;
    const oa = (await call(open, 'POST', '/v1/embeddings', { input: long.text })).body as OpenAiBody;
    expect(maxAbsDiff(oa.data[0]!.embedding as number[], long.embedding)).toBeLessThan(1e-5);
    expect(oa.usage.prompt_tokens).toBe(64);
    const refused = await call(open, 'POST', '/embed', { inputs: [long.text] });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error_type: 'Validation' });
    expect((refused.body as { error: string }).error).toMatch(/more than the maximum of 64/);
    const cut = await call(open, 'POST', '/embed', { inputs: long.text, truncate: true });
    expect(cut.status).toBe(200);
    expect(maxAbsDiff((cut.body as number[][])[0]!, long.embedding)).toBeLessThan(1e-5);
  });

  it('POST /embed speaks the text-embeddings-inference shape', async () => {
    const c = ref.cases[2]!;
    const r = await call(open, 'POST', '/embed', { inputs: [c.text, ref.cases[0]!.text] });
    expect(r.status).toBe(200);
    const vectors = r.body as number[][];
    expect(vectors).toHaveLength(2);
    expect(maxAbsDiff(vectors[0]!, c.embedding)).toBeLessThan(1e-5);
    const raw = (await call(open, 'POST', '/embed', { inputs: c.text, normalize: false })).body as number[][];
    expect(Math.hypot(...raw[0]!)).not.toBeCloseTo(1, 2);
  });

  it('answers bad requests with a 4xx JSON error and keeps serving', async () => {
    const bad: [string, string, unknown, number, RegExp][] = [
      ['POST', '/v1/embeddings', '{"input": ', 400, /not valid JSON/],
      ['POST', '/v1/embeddings', { model: 'x' }, 400, /'input' is required/],
      ['POST', '/v1/embeddings', { input: [] }, 400, /must not be empty/],
      ['POST', '/v1/embeddings', { input: [''] }, 400, /empty string/],
      ['POST', '/v1/embeddings', { input: [[1, 2, 3]] }, 400, /token arrays are not supported/],
      ['POST', '/v1/embeddings', { input: 'a', encoding_format: 'int8' }, 400, /encoding_format/],
      ['POST', '/v1/embeddings', { input: 'a', dimensions: 8 }, 400, /'dimensions' must be 32/],
      ['POST', '/v1/embeddings', { input: ['a', 'b', 'c', 'd', 'e'] }, 413, /maximum batch of 4/],
      ['POST', '/v1/embeddings', [1, 2], 400, /JSON object/],
      ['POST', '/v1/embeddings', { input: 'x'.repeat(70_000) }, 413, /over 65536 bytes/],
      ['POST', '/v1/embeddings', { input: ['a', 'x'.repeat(5000)] }, 413, /'input\[1\]' has 5000 characters/],
      ['POST', '/embed', { inputs: 'a\udc00' }, 422, /lone surrogate/],
      ['POST', '/embed', { inputs: 'a', truncate: 'yes' }, 422, /'truncate' must be a boolean/],
      ['POST', '/embed', { inputs: 'a', truncation_direction: 'middle' }, 422, /truncation_direction/],
      ['GET', '/v1/embeddings', undefined, 405, /takes POST/],
      ['GET', '/nope', undefined, 404, /no route/],
    ];
    for (const [method, path, body, status, message] of bad) {
      const r = await call(open, method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 40)}`).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(JSON.stringify(r.body)).toMatch(message);
    }
    expect((await call(open, 'GET', '/health')).status).toBe(200);
  });

  it('answers 413 to an oversized chunked upload without a content-length', async () => {
    const r = await call(open, 'POST', '/v1/embeddings', JSON.stringify({ input: 'x'.repeat(70_000) }), {
      'transfer-encoding': 'chunked',
    });
    expect(r.status).toBe(413);
    expect((await call(open, 'GET', '/health')).status).toBe(200);
  });

  it('requires the bearer token everywhere but /health when one is set', async () => {
    expect((await call(locked, 'GET', '/health')).status).toBe(200);
    const none = await call(locked, 'POST', '/v1/embeddings', { input: 'a' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const wrong = await call(locked, 'GET', '/info', undefined, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    const right = await call(locked, 'POST', '/embed', { inputs: 'a' }, { authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
  });

  it('serves concurrent requests with results in order', async () => {
    const replies = await Promise.all(
      ref.cases.slice(0, 4).map((c) => call(open, 'POST', '/v1/embeddings', { input: [c.text] })),
    );
    replies.forEach((r, i) => {
      expect(
        maxAbsDiff((r.body as OpenAiBody).data[0]!.embedding as number[], ref.cases[i]!.embedding),
      ).toBeLessThan(1e-5);
    });
  });
});
