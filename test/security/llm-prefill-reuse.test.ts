/**
 * prefill.ts evaluates a prompt under the deadline and leaves its last token to node-llama-cpp,
 * which keeps what the sequence holds. If LlamaChat or LlamaCompletion tokenised the prompt
 * differently (another rendering of a multi-turn history, a JSON-schema grammar, a leading space),
 * they would erase and evaluate it again in one native call, outside the deadline. Each path's first
 * evaluation after prefill must be of the last token alone.
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

type Seq = { evaluate: (tokens: readonly number[], ...rest: unknown[]) => unknown };
/** Sizes of the sequence's generating evaluations during `work` (prefill's own are not these). */
async function evaluations(work: () => Promise<unknown>): Promise<number[]> {
  const seq = (engine as unknown as { free: [Seq] }).free[0];
  const sizes: number[] = [];
  const original = seq.evaluate;
  seq.evaluate = function (tokens, ...rest) {
    sizes.push(tokens.length);
    return original.call(this, tokens, ...rest);
  };
  try {
    await work();
  } finally {
    seq.evaluate = original;
  }
  return sizes;
}

const words = (first: string, n: number) =>
  `${first} ${Array.from({ length: n }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat'][i % 6]).join(' ')}`;
const s = { temperature: 0, stop: [], maxTokens: 2 };
const never = new AbortController().signal;

describe('after prefill, node-llama-cpp evaluates only the last token of the prompt', () => {
  it('plain completion', async () => {
    const sizes = await evaluations(() => engine.complete(words('kiwi', 100), s, never));
    expect(sizes[0]).toBe(1);
  }, 60_000);
  it('chat', async () => {
    const sizes = await evaluations(() =>
      engine.chat([{ role: 'user', content: words('lime', 100) }], s, never),
    );
    expect(sizes[0]).toBe(1);
  }, 60_000);
  it('multi-turn chat with a system prompt', async () => {
    const sizes = await evaluations(() =>
      engine.chat(
        [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: words('plum', 40) },
          { role: 'assistant', content: words('pear', 20) },
          { role: 'user', content: words('fig', 40) },
        ],
        s,
        never,
      ),
    );
    expect(sizes[0]).toBe(1);
  }, 60_000);
  it('chat with a JSON-schema grammar', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const sizes = await evaluations(() =>
      engine.chat([{ role: 'user', content: words('date', 100) }], { ...s, jsonSchema: schema }, never),
    );
    expect(sizes[0]).toBe(1);
  }, 60_000);
});
