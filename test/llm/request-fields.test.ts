/**
 * What the llm service does with the sampling fields an OpenAI client sends, through the official
 * `openai` client on a unix socket, the tiny llama in process.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { sampling } from '../../modules/llm/server/request.js';
import { tempDir } from '../setup/temp-registry.js';
import { openAiOnSocket } from './helpers.js';
import { loadTinyLlama, serveEngine } from './tiny-engine.js';

const socket = join(tempDir('llm-fields-'), 'api.sock');
let engine: Engine;
let kit: KitServer;
beforeAll(async () => {
  engine = await loadTinyLlama();
  kit = await serveEngine(engine, socket);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

describe('seed', () => {
  const ask = (seed?: number) =>
    openAiOnSocket(socket)
      .chat.completions.create({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Tell me a story.' }],
        temperature: 1,
        max_tokens: 16,
        ...(seed === undefined ? {} : { seed }),
      })
      .then((r) => r.choices[0]!.message.content);

  it('a sampled answer without a seed is drawn anew each time, as OpenAI and Ollama do', async () => {
    // node-llama-cpp's own default is the clock's second: every request within one second got the
    // same "random" answer (a regenerate, two users asking the same).
    const answers = new Set<string | null>();
    for (let i = 0; i < 4; i++) answers.add(await ask());
    expect(answers.size).toBeGreaterThan(1);
    // Each request is given its own seed (drawn from 0 to 2^32-1).
    const seeds = new Set(Array.from({ length: 8 }, () => sampling({}, 256, 60).seed));
    expect(seeds.has(undefined)).toBe(false);
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('the same seed gives the same answer', async () => {
    expect(await ask(42)).toBe(await ask(42));
  });
});
