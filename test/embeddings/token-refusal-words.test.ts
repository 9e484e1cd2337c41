/**
 * QA10's walk: after `blueprint service token rag` and a restart, the official `openai` client
 * without the token got "401 missing or wrong access token: send "Authorization: Bearer TOKEN"":
 * which token, from where? The kit's refusal (every module's) now says where it comes from and
 * how the client sends it. The embeddings server here; rag and llm answer with the same words.
 * TIDY: the command names the module (`blueprint service token embeddings`), not a generic NAME
 * the admin had to guess.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { serveTinyBert } from './tiny-server.js';

const socket = join(tempDir('emb-token-'), 'api.sock');
const dispatcher = new Agent({ connect: { socketPath: socket } });
const TOKEN = 'qa10-token-0123456789abcdef';
let server: Awaited<ReturnType<typeof serveTinyBert>> | undefined;
const client = (apiKey: string) =>
  new OpenAI({ baseURL: 'http://localhost/v1', apiKey, maxRetries: 0, fetchOptions: { dispatcher } });

beforeAll(async () => {
  server = await serveTinyBert(socket, TOKEN);
});
afterAll(async () => {
  await server?.close();
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
    expect(err.message).toContain('`blueprint service token embeddings`');
    expect(err.message).not.toContain('NAME');
    expect(err.message).toContain("the OpenAI client's apiKey");
  });

  it('with it: answered', async () => {
    const r = await client(TOKEN).embeddings.create({ model: 'm', input: 'a cat' });
    expect(r.data).toHaveLength(1);
  });
});
