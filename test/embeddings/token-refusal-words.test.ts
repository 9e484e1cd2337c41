/**
 * QA10's walk: after `blueprint service token rag` and a restart, the official `openai` client
 * without the token got "401 missing or wrong access token: send "Authorization: Bearer TOKEN"":
 * which token, from where? The kit's refusal (every module's) now says where it comes from and
 * how the client sends it. The embeddings server here; rag and llm answer with the same words.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../modules/embeddings/server/engine.js';
import { createApiServer } from '../../modules/embeddings/server/http.js';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { FIXTURE_MODELS } from './helpers.js';

const socket = join(tempDir('emb-token-'), 'api.sock');
const dispatcher = new Agent({ connect: { socketPath: socket } });
const TOKEN = 'qa10-token-0123456789abcdef';
let engine: Engine;
let kit: KitServer;
const client = (apiKey: string) =>
  new OpenAI({ baseURL: 'http://localhost/v1', apiKey, maxRetries: 0, fetchOptions: { dispatcher } });

beforeAll(async () => {
  engine = await createEngine({ modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu', log: () => {} });
  kit = createApiServer(engine, {
    maxBatch: 16,
    maxInputChars: 4096,
    maxBodyBytes: 64 * 1024,
    maxQueue: 8,
    token: TOKEN,
    log: createLog({ name: 'test', write: () => {} }),
  });
  await kit.listen(socket);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
  await dispatcher.close();
});

describe('a module with an access token, asked without it', () => {
  it('401 names where the token comes from and how a client sends it', async () => {
    const err = await client('none')
      .embeddings.create({ model: 'm', input: 'a cat' })
      .then(
        () => expect.fail('accepted'),
        (e: InstanceType<typeof OpenAI.APIError>) => e,
      );
    expect(err.status).toBe(401);
    expect(err.message).toContain('Authorization: Bearer TOKEN');
    expect(err.message).toContain('`blueprint service token NAME`');
    expect(err.message).toContain("the OpenAI client's apiKey");
  });

  it('with it: answered', async () => {
    const r = await client(TOKEN).embeddings.create({ model: 'm', input: 'a cat' });
    expect(r.data).toHaveLength(1);
  });
});
