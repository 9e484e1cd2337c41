/**
 * A field /v1/embeddings does not serve is a 400 naming it, as OpenAI's own API answers an
 * unrecognised one (and the llm module now does): it was answered as if not sent, so a client
 * asking for something else (Ollama's `options`, `truncate: false`, a typo) got vectors and no word.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { serveTinyBert } from './tiny-server.js';

const socket = join(tempDir('emb-fields-'), 'api.sock');
let served: Awaited<ReturnType<typeof serveTinyBert>>;
beforeAll(async () => {
  served = await serveTinyBert(socket);
});
afterAll(async () => {
  await served?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked field by field
type Json = any;
const post = (body: object): Promise<{ status: number; body: Json }> =>
  new Promise((done, fail) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: '/v1/embeddings',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let t = '';
        res.on('data', (c: Buffer) => {
          t += c;
        });
        res.on('end', () => done({ status: res.statusCode!, body: JSON.parse(t) }));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });

describe('/v1/embeddings fields', () => {
  it('a field it does not serve is a 400 naming it', async () => {
    for (const [field, value] of [
      ['options', { num_ctx: 512 }],
      ['truncate', false],
      ['inputs', ['hello']],
      ['foo', 1],
    ] as const) {
      const r = await post({ input: 'hello', [field]: value });
      expect(r.status, field).toBe(400);
      expect(r.body.error, field).toMatchObject({ type: 'invalid_request_error', param: field });
      expect(r.body.error.message, field).toMatch(
        new RegExp(
          `'${field}' is not a field of /v1/embeddings here; this service serves input, model, encoding_format, dimensions, user`,
        ),
      );
    }
  });

  it("OpenAI's own fields are served", async () => {
    const r = await post({
      input: ['a', 'b'],
      model: 'tiny-bert',
      encoding_format: 'float',
      dimensions: 32,
      user: 'u',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data).toHaveLength(2);
  });
});
