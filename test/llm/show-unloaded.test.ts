/**
 * Ollama's /api/show describes a model that is not loaded from its GGUF's header (gguf-header.ts,
 * read at start), as Ollama reads the file, instead of loading it: the answer is the one the
 * loaded model gives, and nothing is loaded for it. The real engine and the official ollama client.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import { readHeader } from '../../modules/llm/server/gguf-header.js';
import { ModelPool } from '../../modules/llm/server/model-pool.js';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket, Q8, servePool } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const dir = tempDir('llm-show-unloaded-');
const socket = join(dir, 'api.sock');
const TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>";
let loads = 0;
let pool: ModelPool;
let kit: KitServer;
const ollama = ollamaOnSocket(socket);

beforeAll(async () => {
  pool = new ModelPool(
    [
      { id: 'tiny-llama', load: () => loadTinyLlama({ name: 'tiny-llama' }) },
      {
        id: 'tiny-q8',
        load: () => {
          loads += 1;
          return loadTinyLlama({ name: 'tiny-q8', modelPath: Q8, contextSize: 128, chatTemplate: TEMPLATE });
        },
        header: await readHeader(Q8, { contextSize: 128, chatTemplate: TEMPLATE }),
      },
    ],
    { keepAliveMs: 5 * 60_000 },
  );
  await pool.start();
  kit = await servePool(pool, socket);
}, 120_000);
afterAll(async () => {
  await kit.drain(1000);
  await pool.dispose();
});

describe('llm: /api/show without loading', () => {
  it('describes a model not loaded from its header, as the loaded one does; nothing loaded', async () => {
    const before = await ollama.show({ model: 'tiny-q8' });
    expect(loads).toBe(0);
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(['tiny-llama:latest']);
    expect(before.details).toMatchObject({ family: 'llama', quantization_level: 'Q8_0' });
    expect(before.details.parameter_size).not.toBe('');
    expect(before.template).toBe(TEMPLATE);
    expect(before.parameters).toMatch(/^num_ctx\s+128$/);
    // /v1/models and /info say it is not loaded, and loading it was not what answered them.
    const models = await openAiOnSocket(socket).models.list();
    expect(models.data.find((m) => m.id === 'tiny-q8')).toMatchObject({ loaded: false });
    expect(loads).toBe(0);
    // Loaded now: /api/show answers the same from the engine.
    await ollama.generate({ model: 'tiny-q8', prompt: 'Hi', stream: false, options: { num_predict: 1 } });
    expect(loads).toBe(1);
    const after = await ollama.show({ model: 'tiny-q8' });
    expect(after).toEqual(before);
  }, 120_000);
});
