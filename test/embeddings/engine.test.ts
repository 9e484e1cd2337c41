import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, InputTooLongError } from '../../modules/embeddings/server/engine.js';
import { FIXTURE_MODELS, maxAbsDiff, tinyBertReference } from './helpers.js';

const ref = tinyBertReference();
const logs: string[] = [];
let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({
    modelDir: FIXTURE_MODELS,
    model: 'tiny-bert',
    device: 'cpu',
    log: (l) => logs.push(l),
  });
});
afterAll(() => engine?.dispose());

describe('embedding engine against the torch reference', () => {
  it('reports what the model is', () => {
    expect(engine.info).toMatchObject({
      model: 'tiny-bert',
      dimension: ref.dimension,
      maxTokens: ref.max_tokens,
      device: 'cpu',
    });
  });

  it('matches torch to 1e-5 for each input alone', async () => {
    for (const c of ref.cases) {
      const out = await engine.embed([c.text], { truncate: true });
      expect(maxAbsDiff(out.vectors[0]!, c.embedding), c.text).toBeLessThan(1e-5);
      expect(out.tokens[0], c.text).toBe(c.input_ids.length);
    }
  });

  it('matches torch to 1e-5 in one padded batch, truncation keeping [SEP]', async () => {
    const out = await engine.embed(
      ref.cases.map((c) => c.text),
      { truncate: true },
    );
    ref.cases.forEach((c, i) => {
      expect(maxAbsDiff(out.vectors[i]!, c.embedding), c.text).toBeLessThan(1e-5);
    });
    expect(Math.max(...out.tokens)).toBe(ref.max_tokens);
  });

  it('returns unit vectors, or the raw mean when asked', async () => {
    const [unit] = (await engine.embed(['a cat sits on the mat'], { truncate: true })).vectors;
    const [raw] = (await engine.embed(['a cat sits on the mat'], { truncate: true, normalize: false }))
      .vectors;
    const norm = (v: Float32Array) => Math.hypot(...v);
    expect(norm(unit!)).toBeCloseTo(1, 5);
    expect(norm(raw!)).not.toBeCloseTo(1, 2);
    expect(
      maxAbsDiff(
        raw!.map((x) => x / norm(raw!)),
        unit!,
      ),
    ).toBeLessThan(1e-6);
  });

  it('refuses an over-long input unless truncation is allowed', async () => {
    const long = ref.cases.at(-1)!.text;
    await expect(engine.embed(['short', long], { truncate: false })).rejects.toBeInstanceOf(
      InputTooLongError,
    );
    await expect(engine.embed(['short', long], { truncate: false })).rejects.toMatchObject({
      index: 1,
      max: ref.max_tokens,
    });
  });

  it('truncates from the left when asked, giving a different vector', async () => {
    const text = `stock prices fell ${'the cat sat on the mat '.repeat(20)}`;
    const right = (await engine.embed([text], { truncate: true })).vectors[0]!;
    const left = (await engine.embed([text], { truncate: true, direction: 'left' })).vectors[0]!;
    expect(maxAbsDiff(right, left)).toBeGreaterThan(1e-3);
  });

  it('falls back to CPU with a logged reason when CUDA cannot load', async () => {
    const log: string[] = [];
    const gpu = await createEngine({
      modelDir: FIXTURE_MODELS,
      model: 'tiny-bert',
      device: 'cuda',
      log: (l) => log.push(l),
    });
    try {
      if (gpu.info.device === 'cuda') return; // a machine with a working CUDA provider: nothing to fall back from
      expect(gpu.info.deviceReason).toMatch(/CUDA requested but unavailable/);
      expect(log.join('\n')).toMatch(/using CPU/);
      const out = await gpu.embed([ref.cases[0]!.text], { truncate: true });
      expect(maxAbsDiff(out.vectors[0]!, ref.cases[0]!.embedding)).toBeLessThan(1e-5);
    } finally {
      await gpu.dispose();
    }
  });
});
