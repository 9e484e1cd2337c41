/**
 * A large batch runs through the model in several runs of at most `maxRunTokens` padded tokens
 * (rows × the longest row), so its attention and feed-forward buffers are a fraction of the whole
 * batch's: the MiniLM shape's 64 × 256-token batch peaked at 840 MiB of RSS in one run (issue 17's
 * measurements, modules/embeddings/README.md). The vectors are the model's all the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, runGroups } from '../../modules/embeddings/server/engine.js';
import { FIXTURE_MODELS, maxAbsDiff } from './helpers.js';

describe('runGroups', () => {
  it('cuts consecutive rows so that rows × the longest row stays within the budget', () => {
    expect(runGroups([10, 10, 10, 10], 40)).toEqual([[0, 4]]);
    expect(runGroups([10, 10, 10, 10], 39)).toEqual([
      [0, 3],
      [3, 4],
    ]);
    // A long row widens its group: 3 rows of width 20 are 60 padded tokens.
    expect(runGroups([5, 5, 20, 5], 40)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    // A row longer than the budget runs alone; nothing is ever dropped or reordered.
    expect(runGroups([100, 3, 3], 40)).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(runGroups([], 40)).toEqual([]);
  });
});

describe('a batch over the run budget', () => {
  let whole: Engine;
  let cut: Engine;
  const init = { modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu' as const, log: () => {} };
  beforeAll(async () => {
    whole = await createEngine(init);
    cut = await createEngine({ ...init, maxRunTokens: 16 });
  });
  afterAll(async () => {
    await Promise.all([whole?.dispose(), cut?.dispose()]);
  });

  it('gives the vectors and token counts of one run, in the same order', async () => {
    const texts = [
      'a cat sits on the mat',
      'stock prices fell sharply today after the central bank raised its rates again',
      'hello',
      'the kitten sleeps on a warm rug near the fire',
      'edge boxes run small models',
    ];
    const a = await whole.embed(texts, { truncate: true });
    const b = await cut.embed(texts, { truncate: true });
    expect(b.tokens).toEqual(a.tokens);
    expect(b.vectors).toHaveLength(texts.length);
    for (const [i, v] of b.vectors.entries()) expect(maxAbsDiff(v, a.vectors[i]!)).toBeLessThan(1e-5);
  });

  it('names the right input when one is too long, whichever run it falls in', async () => {
    const texts = ['short one', 'another short one', 'word '.repeat(600)];
    await expect(cut.embed(texts, { truncate: false })).rejects.toMatchObject({
      name: 'InputTooLongError',
      index: 2,
    });
  });
});
