/**
 * An answer never counts or holds more tokens than `max_tokens` / `num_predict` asked for: through
 * the official `openai` and `ollama` clients on a unix socket, the q8 tiny llama in process (its
 * answers are noise, often characters of several byte tokens, which node-llama-cpp hands over whole
 * and, in a plain completion, finishes past the limit).
 */
import { join } from 'node:path';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket, Q8 } from './helpers.js';
import { servedForFile } from './served-tiny.js';
import { loadTinyLlama } from './tiny-engine.js';

const socket = join(tempDir('llm-token-counts-'), 'api.sock');
const served = servedForFile(socket, () => loadTinyLlama({ modelPath: Q8 }));

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const LIMITS = [1, 2, 3];

/** Every (seed, limit) pair's count through `ask`: those that counted more than asked. */
async function over(ask: (seed: number, max: number) => Promise<number>) {
  const bad: string[] = [];
  for (const seed of SEEDS)
    for (const max of LIMITS) {
      const counted = await ask(seed, max);
      if (counted > max) bad.push(`seed ${seed}, max ${max}: counted ${counted}`);
    }
  return bad;
}

describe('an answer counts at most the tokens asked for', () => {
  const openai = () => openAiOnSocket(socket);
  const ollama = () => ollamaOnSocket(socket);

  it('OpenAI chat: usage.completion_tokens <= max_tokens over 20 seeded chats', async () => {
    const bad = await over(async (seed, max) => {
      const r = await openai().chat.completions.create({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Say something.' }],
        max_tokens: max,
        seed,
      });
      return r.usage!.completion_tokens;
    });
    expect(bad).toEqual([]);
  });

  it('OpenAI completions: within max_tokens, streamed the same text and count as whole', async () => {
    const bad = await over(async (seed, max) => {
      const ask = { model: 'tiny-llama', prompt: 'Once upon', max_tokens: max, seed };
      const whole = await openai().completions.create(ask);
      const stream = await openai().completions.create({
        ...ask,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let counted = -1;
      for await (const c of stream) {
        text += c.choices[0]?.text ?? '';
        if (c.usage) counted = c.usage.completion_tokens;
      }
      expect(text).toBe(whole.choices[0]!.text);
      expect(counted).toBe(whole.usage!.completion_tokens);
      return counted;
    });
    expect(bad).toEqual([]);
  });

  it('Ollama: eval_count <= num_predict for /api/chat and /api/generate', async () => {
    const chats = await over(async (seed, max) => {
      const r = await ollama().chat({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Say something.' }],
        options: { num_predict: max, seed },
        stream: false,
      });
      return r.eval_count;
    });
    const generated = await over(async (seed, max) => {
      const r = await ollama().generate({
        model: 'tiny-llama',
        prompt: 'Once upon',
        raw: true,
        options: { num_predict: max, seed },
        stream: false,
      });
      return r.eval_count;
    });
    expect([...chats, ...generated]).toEqual([]);
  });
});

describe('an answer holds at most the tokens asked for', () => {
  /** The engine's one sequence, between requests: what the last generation evaluated. */
  const sequence = () => (served.engine as unknown as { free: LlamaContextSequence[] }).free[0]!;
  const complete = (prompt: string, max: number) =>
    openAiOnSocket(socket).completions.create({
      model: 'tiny-llama',
      prompt,
      max_tokens: max,
      temperature: 0,
    });

  it('greedy completions: the text is what the first max_tokens tokens make, a character they cut left out', async () => {
    const bad: string[] = [];
    let cutInside = 0;
    for (let i = 1; i <= 20; i++) {
      const prompt = `Story ${i}:`;
      // The tokens a greedy answer of 12 samples: the sequence holds all but the last after the prompt.
      await complete(prompt, 12);
      const promptTokens = 1 + served.engine.tokenize(prompt).length;
      const first = sequence().contextTokens.slice(promptTokens);
      expect(first.length).toBeGreaterThanOrEqual(11);
      for (const max of LIMITS) {
        // Asked again, the prompt's evaluation is kept and its last token evaluated again: the same picks.
        const r = await complete(prompt, max);
        const within = served.engine.detokenize(first.slice(0, max));
        const text = r.choices[0]!.text;
        if (within.endsWith('\uFFFD')) cutInside++;
        if (!within.startsWith(text) || r.usage!.completion_tokens > max)
          bad.push(
            `${prompt} max ${max}: ${JSON.stringify(text)} (${r.usage!.completion_tokens}) from ${JSON.stringify(within)}`,
          );
      }
    }
    expect(bad).toEqual([]);
    // The case that matters happened: a limit inside a character of several tokens.
    expect(cutInside).toBeGreaterThan(0);
  });
});
