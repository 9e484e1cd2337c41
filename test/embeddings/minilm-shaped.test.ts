/**
 * The benchmark model shaped like all-MiniLM-L6-v2 (scripts/models/minilm-shaped.ts): random
 * weights, but a real BERT encoder of that size that the service's engine loads and runs as it
 * would the real export, so the figures measured with it are a real encoder's (issue 20).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../modules/embeddings/server/engine.js';
import { defaultModelCache } from '../../scripts/models/glove.js';
import { ensureMinilmShapedModel, MINILM_SHAPED } from '../../scripts/models/minilm-shaped.js';
import { maxAbsDiff } from './helpers.js';

let engine: Engine;
let folder: string;
beforeAll(async () => {
  folder = ensureMinilmShapedModel(defaultModelCache());
  engine = await createEngine({
    modelDir: defaultModelCache(),
    model: MINILM_SHAPED,
    device: 'cpu',
    log: () => {},
  });
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

describe('the all-MiniLM-L6-v2-shaped model', () => {
  it('has the real model size and limits: 384 dimensions, 256 tokens, ~90 MB of weights', () => {
    expect(engine.info).toMatchObject({ dimension: 384, maxTokens: 256 });
    const bytes = statSync(join(folder, 'onnx/model.onnx')).size;
    // 30,522 x 384 words + 512 positions + 6 layers of 4 x 384² + 2 x 384 x 1536 (plus biases)
    expect(bytes).toBeGreaterThan(22.5e6 * 4);
    expect(bytes).toBeLessThan(23e6 * 4);
  });

  it('masks padding as BERT does: a text alone and beside a longer one gives the same vector', async () => {
    const alone = await engine.embed(['a cat sits on the mat'], { truncate: true, normalize: true });
    const padded = await engine.embed(
      ['a cat sits on the mat', 'stock prices fell sharply today while the market slept on the sofa'],
      { truncate: true, normalize: true },
    );
    expect(alone.tokens[0]).toBe(padded.tokens[0]);
    expect(padded.tokens[1]).toBeGreaterThan(padded.tokens[0]!);
    expect(maxAbsDiff(alone.vectors[0]!, padded.vectors[0]!)).toBeLessThan(1e-5);
    // Every weight is used: another text is another direction.
    let dot = 0;
    for (let i = 0; i < 384; i++) dot += padded.vectors[0]![i]! * padded.vectors[1]![i]!;
    expect(dot).toBeLessThan(0.999);
  });

  it('truncates at 256 tokens, as sentence-transformers does for all-MiniLM-L6-v2', async () => {
    const long = Array.from({ length: 400 }, () => 'cat').join(' ');
    const out = await engine.embed([long], { truncate: true });
    expect(out.tokens[0]).toBe(256);
  });
});
