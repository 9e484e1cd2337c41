/**
 * QA10's walk with the official `openai` client: `input: ''` (one string, OpenAI's most common
 * form) was refused as "'input[0]' must not be an empty string", naming an array element the
 * client never sent. A string is named 'input'; an array's item keeps its index.
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

const socket = join(tempDir('emb-input-'), 'api.sock');
const dispatcher = new Agent({ connect: { socketPath: socket } });
let engine: Engine;
let kit: KitServer;
const client = new OpenAI({
  baseURL: 'http://localhost/v1',
  apiKey: 'none',
  maxRetries: 0,
  fetchOptions: { dispatcher },
});

beforeAll(async () => {
  engine = await createEngine({ modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu', log: () => {} });
  kit = createApiServer(engine, {
    maxBatch: 16,
    maxInputChars: 4096,
    maxBodyBytes: 64 * 1024,
    maxQueue: 8,
    log: createLog({ name: 'test', write: () => {} }),
  });
  await kit.listen(socket);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
  await dispatcher.close();
});

const refusal = (input: string | string[]) =>
  client.embeddings.create({ model: 'tiny-bert', input }).then(
    () => expect.fail('accepted'),
    (e: InstanceType<typeof OpenAI.APIError>) => ({ status: e.status, message: e.message }),
  );

describe('embeddings: an input refused is named as the client sent it', () => {
  it('one string: input, not input[0]', async () => {
    expect(await refusal('')).toEqual({ status: 400, message: "400 'input' must not be an empty string" });
    const long = await refusal('x'.repeat(5000));
    expect(long.status).toBe(413);
    expect(long.message).toMatch(/^413 'input' has 5000 characters/);
  });

  it('an array: the item by its index, as before', async () => {
    expect(await refusal(['a', ''])).toEqual({
      status: 400,
      message: "400 'input[1]' must not be an empty string",
    });
  });
});
