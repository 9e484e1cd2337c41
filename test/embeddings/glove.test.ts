import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../modules/embeddings/server/engine.js';
import { defaultModelCache, ensureGloveModel, GLOVE_MODEL } from '../../scripts/models/glove.js';
import { cosine } from './helpers.js';

let engine: Engine;
beforeAll(async () => {
  const cache = defaultModelCache();
  ensureGloveModel(cache); // ~15 s the first time, then cached
  engine = await createEngine({ modelDir: cache, model: GLOVE_MODEL, device: 'cpu', log: () => {} });
}, 180_000);
afterAll(() => engine?.dispose());

describe('GloVe static-embedding model through the same runtime', () => {
  it('loads with its real dimension', () => {
    expect(engine.info).toMatchObject({ model: GLOVE_MODEL, dimension: 100, maxTokens: 256 });
  });

  it('places a cat on a mat nearer a kitten on a rug than falling stock prices', async () => {
    const [cat, kitten, stocks] = (
      await engine.embed(['a cat sits on the mat', 'a kitten is on the rug', 'stock prices fell sharply'], {
        truncate: true,
      })
    ).vectors;
    const near = cosine(cat!, kitten!);
    const far = cosine(cat!, stocks!);
    expect(near).toBeGreaterThan(far + 0.1);
  });

  it('gives unknown words no weight instead of failing', async () => {
    const [plain, withJunk] = (
      await engine.embed(['a cat sits on the mat', 'a cat sits on the mat qzxqzxqzx'], { truncate: true })
    ).vectors;
    // The [UNK] row is zero: the direction is unchanged, only the mean is diluted.
    expect(cosine(plain!, withJunk!)).toBeGreaterThan(0.9999);
  });
});
