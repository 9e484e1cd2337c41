/**
 * Issue 20: batches of a cheap model run on the main thread when their estimated cost fits the
 * budget (no worker hop), anything bigger in the worker; both give the same vectors, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../modules/embeddings/server/engine.js';
import { measureCost } from '../../modules/embeddings/server/engine-worker.js';
import { engineWorkers } from './engine-workers.js';
import { serve } from './served.js';

const workers = engineWorkers();
const start = (budgetMs: number, queryBudgetMs?: number) => workers.start(budgetMs, queryBudgetMs);

const small = ['a cat sits on the mat', 'stock prices fell sharply today'];
// A batch estimated at twice the budget by the cost the worker measured: a fixed size was once
// under the budget on a fast run (tiny BERT's calibration batch in 2.6 ms: 1 MB fits 1 s).
const over = (budgetMs: number, msPerChar: number) => {
  const each = 'many words here '.repeat(1000);
  return Array.from({ length: Math.ceil((2 * budgetMs) / msPerChar / each.length) }, (_, i) => `${each}${i}`);
};

describe('where a batch runs', () => {
  it('a cheap batch on the main thread, a long one in the worker, the same vectors either way', async () => {
    const both = await start(1000);
    const worker = await start(0);
    expect(both.msPerChar).toBeGreaterThan(0);
    expect(both.mainThreadCopy).toBe(true);
    // The worker's measured cost decides: a batch whose estimate is within the budget stays here.
    expect(both.placement(small)).toBe('main');
    expect(both.placement(over(1000, both.msPerChar))).toBe('worker');
    expect(worker.placement(small)).toBe('worker');
    const opts = { truncate: true, normalize: true };
    const [a, b] = await Promise.all([both.embed(small, opts), worker.embed(small, opts)]);
    expect(a.tokens).toEqual(b.tokens);
    const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    expect(a.vectors.map(bytes)).toEqual(b.vectors.map(bytes));
    // The worker's batch crossed as one transferred buffer: its vectors are views on it.
    expect(b.vectors[1]!.buffer).toBe(b.vectors[0]!.buffer);
    expect(b.vectors[0]!.buffer.byteLength).toBe(small.length * b.vectors[0]!.byteLength);
    // Too long without truncation: the same error from the main-thread copy as from the worker.
    const long = ['word '.repeat(100)];
    await expect(both.embed(long, { truncate: false })).rejects.toMatchObject({ name: 'InputTooLongError' });
    await expect(worker.embed(long, { truncate: false })).rejects.toMatchObject({
      name: 'InputTooLongError',
    });
  }, 60_000);

  it('loads no main-thread copy when an ordinary batch costs more than the budget, or with none', async () => {
    const tight = await start(1e-6); // no batch of 32 sentences is that fast
    expect(tight.mainThreadCopy).toBe(false);
    expect(tight.placement(['x'])).toBe('worker');
    const off = await start(0);
    expect(off.mainThreadCopy).toBe(false);
    expect((await off.embed(small, { truncate: true })).vectors).toHaveLength(2);
  }, 60_000);

  it('a single query within its own budget on the main thread, batches and long inputs in the worker', async () => {
    // What a retrieval waits for: one short input. No batch budget, a query budget only.
    const query = await start(0, 1000);
    const worker = await start(0);
    expect(query.mainThreadCopy).toBe(true);
    expect(query.onMainThread).toEqual({ batchChars: 0, queryChars: Math.floor(1000 / query.msPerChar) });
    const one = ['which planet has the most moons'];
    expect(query.placement(one)).toBe('main');
    expect(query.placement([...one, ...one])).toBe('worker');
    expect(query.placement(['x'.repeat(Math.ceil(1000 / query.msPerChar) + 1)])).toBe('worker');
    expect(worker.placement(one)).toBe('worker');
    const opts = { truncate: true, normalize: true };
    const [a, b] = await Promise.all([query.embed(one, opts), worker.embed(one, opts)]);
    const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    expect(a.vectors.map(bytes)).toEqual(b.vectors.map(bytes));
    // A single query too dear for its budget: no copy is loaded for it.
    const dear = await start(0, 1e-6);
    expect(dear.mainThreadCopy).toBe(false);
    expect(dear.placement(['x'])).toBe('worker');
  }, 60_000);

  it('the service reads both budgets from its environment and says what runs where', async () => {
    const on = await serve(workers.file, { EMBEDDINGS_QUERY_INLINE_MS: '30' });
    // The query budget is off unless set (a transformer's copy is costly).
    const off = await serve(workers.file, { EMBEDDINGS_INLINE_MS: 'off' });
    try {
      // Single inputs within 30 ms of estimated work: thousands of tiny-BERT characters.
      const m = /single inputs up to (\d+), the rest in the worker/.exec(on.log());
      expect(Number(m?.[1])).toBeGreaterThan(1000);
      expect(off.log()).toMatch(/every batch runs in the worker/);
    } finally {
      await Promise.all([on.stop(), off.stop()]);
    }
  }, 60_000);
});

/** An engine whose n-th batch takes costs[n] ms (the last one repeated), busy-waiting as real work does. */
function timedEngine(costs: number[]): Engine & { calls: number } {
  const e = {
    calls: 0,
    info: { model: 'm', dimension: 1, maxTokens: 8, device: 'cpu' as const, deviceReason: '' },
    embed: async () => {
      const until = performance.now() + costs[Math.min(e.calls++, costs.length - 1)]!;
      while (performance.now() < until);
      return { vectors: [], tokens: [] };
    },
    dispose: async () => {},
  };
  return e;
}

describe('the cost measured at start', () => {
  it('is the fastest of many runs of a cheap model, so a loaded box at start does not hide it', async () => {
    // The first eight runs slowed (other work on the box, a cold JIT), then the model's real cost.
    const cheap = timedEngine([...Array(8).fill(5), 0.2]);
    const msPerChar = await measureCost(cheap, { maxMs: 2000, switches: () => 0 });
    expect(cheap.calls).toBe(30);
    expect(msPerChar * 32 * 80).toBeLessThan(2); // a batch of 32 ordinary sentences fits 2 ms
  });

  it('goes on past 30 runs while every run lost its core, and counts only one that kept it', async () => {
    // 40 runs preempted (5 ms by the clock each, a busy box), then runs of 0.2 ms that kept their core.
    let switched = 0;
    const e = timedEngine([...Array(40).fill(5), 0.2]);
    const busy: Engine = {
      ...e,
      embed: async (texts, options) => {
        if (e.calls < 40) switched++;
        return e.embed(texts, options);
      },
    };
    const msPerChar = await measureCost(busy, { maxMs: 2000, switches: () => switched });
    expect(e.calls).toBe(43); // until 3 runs kept their core
    expect(msPerChar * 32 * 80).toBeLessThan(2);
  });

  it('never reads a run that kept its core as less than its time', async () => {
    // A fast run that was preempted (its reading not trusted) beside 1 ms runs that were not.
    let switched = 0;
    const e = timedEngine([1, 1, 0.05, 1]);
    const odd: Engine = {
      ...e,
      embed: async (texts, options) => {
        if (e.calls === 2) switched++;
        return e.embed(texts, options);
      },
    };
    const msPerChar = await measureCost(odd, { minRuns: 6, maxMs: 2000, switches: () => switched });
    expect(msPerChar * 32 * 86).toBeGreaterThan(0.95);
  });

  it('stops after a few runs of a dear model, whose answer is clear at once', async () => {
    const dear = timedEngine([120]);
    expect(await measureCost(dear)).toBeGreaterThan(0);
    expect(dear.calls).toBeLessThanOrEqual(3);
  });
});
