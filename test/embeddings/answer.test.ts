/**
 * Issue 20: the OpenAI answer is written as one buffer of JSON text, base64 strings written straight
 * from each Float32Array's bytes, instead of an object for JSON.stringify to walk and escape. It
 * must be byte for byte what JSON.stringify gave, in both encodings, whatever the model's name.
 */
import { describe, expect, it } from 'vitest';
import { openAiResponse } from '../../modules/embeddings/server/api.js';
import type { ModelInfo } from '../../modules/embeddings/server/engine.js';

const info = (model: string): ModelInfo => ({
  model,
  dimension: 3,
  maxTokens: 16,
  device: 'cpu',
  deviceReason: 'test',
});
// Values whose shortest decimal text differs from their float64 widening, and a negative zero.
const vectors = [Float32Array.of(0.1, -0.25, 1 / 3), Float32Array.of(-0, 1e-8, 123456.789)];
const out = { vectors, tokens: [4, 7] };

function reference(base64: boolean, model: string) {
  return JSON.stringify({
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v),
    })),
    model,
    usage: { prompt_tokens: 11, total_tokens: 11 },
  });
}

describe('the OpenAI answer', () => {
  for (const base64 of [true, false])
    it(`is the same JSON text as JSON.stringify gave (${base64 ? 'base64' : 'float'})`, () => {
      for (const model of ['glove-50k', 'modèle "quoted" \\ \u2028 ✓']) {
        const req = { texts: ['a', 'b'], options: { truncate: true }, base64 };
        const body = openAiResponse(req, out, info(model));
        expect(typeof body).toBe('string');
        expect(body).toBe(reference(base64, model));
      }
    });

  it('decodes back to the same float32 bits, as the OpenAI clients decode base64', () => {
    const req = { texts: ['a', 'b'], options: { truncate: true }, base64: true };
    const parsed = JSON.parse(openAiResponse(req, out, info('m')));
    parsed.data.forEach((d: { embedding: string }, i: number) => {
      const raw = Buffer.from(d.embedding, 'base64');
      expect(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)).toEqual(vectors[i]);
    });
  });
});
