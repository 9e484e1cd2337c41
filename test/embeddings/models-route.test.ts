/**
 * GET /v1/models on the embeddings service, through the official openai client: the route an
 * OpenAI-compatible tool (Open WebUI, LangChain's model pickers) asks first, to list what a server
 * offers, as Ollama's and the llm module's answer. It was a 404 ("no route /v1/models").
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAiOnSocket } from '../llm/helpers.js';
import { tempDir } from '../setup/temp-registry.js';
import { serveTinyBert } from './tiny-server.js';

const socket = join(tempDir('emb-models-'), 'api.sock');
const TOKEN = 'embeddings-models-token-0123456789';
let served: Awaited<ReturnType<typeof serveTinyBert>>;
beforeAll(async () => {
  served = await serveTinyBert(socket, TOKEN);
});
afterAll(async () => {
  await served?.close();
});

describe('embeddings GET /v1/models', () => {
  it('lists the one model served, which the answers name too', async () => {
    const client = openAiOnSocket(socket, TOKEN);
    const models = await client.models.list();
    expect(models.data).toEqual([{ id: 'tiny-bert', object: 'model', created: 0, owned_by: 'local' }]);
    const r = await client.embeddings.create({ model: models.data[0]!.id, input: 'hello' });
    expect(r.model).toBe('tiny-bert');
  });

  it('needs the token, as every route but /health', async () => {
    await expect(openAiOnSocket(socket, 'wrong-token-0123456789').models.list()).rejects.toMatchObject({
      status: 401,
    });
  });
});
