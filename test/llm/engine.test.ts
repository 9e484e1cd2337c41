/**
 * llama.cpp (through node-llama-cpp, as the llm service runs it) against an independent float64
 * numpy forward pass of the same random weights (scripts/models/make-tiny-llama.py).
 */
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F32, logSoftmax, Q8, reference } from './helpers.js';

const ref = reference();
let llama: Llama;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
});

/** Log-probabilities llama.cpp gives for the next token after each prompt position. */
async function logProbs(model: LlamaModel): Promise<number[][]> {
  // F32 KV cache and no flash attention: the default F16 cache rounds K and V to 11 bits.
  const ctx = await model.createContext({
    contextSize: 256,
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  try {
    const out = await ctx
      .getSequence()
      .controlledEvaluate(
        (ref.prompt_tokens as Token[]).map((t) => [t, { generateNext: { probabilities: true } }] as const),
      );
    return out.map((o) => {
      const p = o!.next.probabilities!;
      return Array.from({ length: ref.vocab_size }, (_, t) => Math.log(p.get(t as Token) ?? 0));
    });
  } finally {
    await ctx.dispose();
  }
}

async function greedy(model: LlamaModel, steps: number): Promise<number[]> {
  const ctx = await model.createContext({ contextSize: 256, flashAttention: false, threads: 1 });
  try {
    const got: number[] = [];
    for await (const t of ctx.getSequence().evaluate(ref.prompt_tokens as Token[], { temperature: 0 })) {
      got.push(t);
      if (got.length === steps) break;
    }
    return got;
  } finally {
    await ctx.dispose();
  }
}

describe('tiny llama: llama.cpp vs the numpy reference', () => {
  it('tokenizes the prompt text to the reference tokens (BOS first)', async () => {
    const model = await llama.loadModel({ modelPath: F32 });
    expect(model.tokenize(ref.prompt_text)).toEqual(ref.prompt_tokens.slice(1));
    expect(model.tokens.bos).toBe(ref.prompt_tokens[0]);
    await model.dispose();
  });

  it('F32: the logits of every position match within 1e-3', async () => {
    const model = await llama.loadModel({ modelPath: F32 });
    const got = await logProbs(model);
    let worst = 0;
    for (const [i, row] of ref.logits.entries()) {
      const want = logSoftmax(row);
      for (let t = 0; t < want.length; t++) worst = Math.max(worst, Math.abs(got[i]![t]! - want[t]!));
    }
    expect(worst).toBeLessThan(1e-3);
    await model.dispose();
  });

  it('F32: greedy decoding gives the reference tokens', async () => {
    const model = await llama.loadModel({ modelPath: F32 });
    expect(await greedy(model, ref.greedy_tokens.length)).toEqual(ref.greedy_tokens);
    await model.dispose();
  });

  it('Q8_0: loads and stays close (top token of every position, small log-probability error)', async () => {
    const model = await llama.loadModel({ modelPath: Q8 });
    const got = await logProbs(model);
    let sum = 0;
    let n = 0;
    for (const [i, row] of ref.logits.entries()) {
      const want = logSoftmax(row);
      // Where two tokens are nearly tied the quantised copy may pick the other: its choice must
      // be one the reference rates within 0.25 of its best.
      const pick = got[i]!.indexOf(Math.max(...got[i]!));
      expect(Math.max(...want) - want[pick]!).toBeLessThan(0.25);
      for (let t = 0; t < want.length; t++) {
        sum += Math.abs(got[i]![t]! - want[t]!);
        n++;
      }
    }
    // Mean error over the vocabulary: 8-bit weights move log-probabilities by a few hundredths.
    expect(sum / n).toBeLessThan(0.1);
    expect(sum / n).toBeGreaterThan(0); // it really is the quantised copy
    await model.dispose();
  });
});
