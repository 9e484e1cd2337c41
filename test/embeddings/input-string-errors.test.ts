/**
 * QA10's walk with the official `openai` client: `input: ''` (one string, OpenAI's most common
 * form) was refused as "'input[0]' must not be an empty string", naming an array element the
 * client never sent. A string is named 'input'; an array's item keeps its index.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { serveTinyBert } from './tiny-server.js';

const socket = join(tempDir('emb-input-'), 'api.sock');
const dispatcher = new Agent({ connect: { socketPath: socket } });
let server: Awaited<ReturnType<typeof serveTinyBert>> | undefined;
const client = new OpenAI({
  baseURL: 'http://localhost/v1',
  apiKey: 'none',
  maxRetries: 0,
  fetchOptions: { dispatcher },
});

beforeAll(async () => {
  server = await serveTinyBert(socket);
});
afterAll(async () => {
  await server?.close();
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
