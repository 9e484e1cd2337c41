import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../helpers/post-json.js';
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
const post = (body: object) => postJson<Json>(socket, '/v1/embeddings', body);

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
