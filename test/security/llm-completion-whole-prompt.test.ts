/**
 * A /v1/completions prompt near the context's size is answered from all of it. node-llama-cpp's
 * LlamaCompletion keeps at most the context less its context-shift size (a tenth of the context by
 * default, even with disableContextShift) of a prompt's tokens, silently dropping the start: a
 * prompt of 95% of the context was answered from its last 90%, and those tokens (no longer a prefix
 * of what prefill.ts had evaluated) were evaluated again, outside the prompt's deadline.
 *
 * The tiny llama (a context of 256 tokens) asked with a prompt of ~243 tokens: the sequence must
 * hold BOS and every one of the prompt's tokens, in order, after the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../modules/llm/server/engine.js';
import { loadTinyLlama } from '../llm/tiny-engine.js';

let engine: Engine;
beforeAll(async () => {
  engine = await loadTinyLlama();
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

/** The only sequence of a parallel-1 engine (private: what the KV cache holds is the point). */
const sequence = () => (engine as unknown as { free: [{ contextTokens: readonly number[] }] }).free[0];

describe('a completion prompt of 95% of the context', () => {
  it.each([242, 254])(
    'of %i tokens is evaluated whole: the sequence holds its first tokens as well as its last',
    async (n) => {
      const words = ['alpha', 'the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'it', 'was', 'good'];
      let prompt = 'zebra';
      for (let i = 0; engine.tokenize(`${prompt} ${words[i % words.length]}`).length < n; i++)
        prompt += ` ${words[i % words.length]}`;
      const tokens = [...engine.tokenize(prompt)];
      expect(tokens.length).toBeGreaterThan(0.9 * 256);
      const r = await engine.complete(
        prompt,
        { temperature: 0, stop: [], maxTokens: 256 - 1 - n },
        new AbortController().signal,
      );
      expect(r.promptTokens).toBe(tokens.length + 1);
      const held = [...sequence().contextTokens];
      // BOS, then the whole prompt (its first token "zebra" included), then what was generated.
      expect(held.slice(1, 1 + tokens.length)).toEqual(tokens);
    },
    60_000,
  );
});
