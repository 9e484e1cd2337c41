/**
 * The embeddings service refuses an input of more than EMBEDDINGS_MAX_INPUT_CHARS characters
 * before tokenising it (tokenising, then truncating, a 1M-character input cost a second). But a
 * tokenizer that normalises with NFKC (sentencepiece and multilingual models do) tokenises the
 * normalised text, and one character can become 18: U+FDFA (ﷺ) is "صلى الله عليه وسلم". So an
 * input within the bound, ﷺ-heavy, cost the worker many times an ASCII input's time: the bound
 * counted the characters sent, not the ones tokenised. Now the input's NFKC form is bounded too.
 *
 * The tiny BERT with an NFKC step in front of its BertNormalizer (what such a tokenizer.json holds).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, parseOpenAi, parseTei } from '../../modules/embeddings/server/api.js';
import { createEngine, type Engine } from '../../modules/embeddings/server/engine.js';
import { FIXTURE_MODELS } from '../embeddings/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('embeddings-nfkc-');
const MAX = 16_384;
const limits = { maxBatch: 32, maxInputChars: MAX };

let engine: Engine;
beforeAll(async () => {
  cpSync(join(FIXTURE_MODELS, 'tiny-bert'), join(dir, 'nfkc-bert'), { recursive: true });
  const file = join(dir, 'nfkc-bert/tokenizer.json');
  const tok = JSON.parse(readFileSync(file, 'utf8'));
  tok.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, tok.normalizer] };
  writeFileSync(file, JSON.stringify(tok));
  engine = await createEngine({
    modelDir: dir,
    model: 'nfkc-bert',
    device: 'cpu',
    threads: 1,
    log: () => undefined,
  });
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

/** The fastest of 3 tokenisations and embeddings of `text`, in milliseconds. */
async function cost(text: string): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await engine.embed([text], { truncate: true });
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const ascii = 'hello world '.repeat(2_000).slice(0, MAX);
const fdfa = '\ufdfa '.repeat(MAX / 2); // 16,384 characters, 155,648 once normalised

describe('embeddings: the characters tokenised are bounded, not only the ones sent', () => {
  it('a ﷺ-heavy input within the character bound is refused by its normalised length (413)', async () => {
    const a = await cost(ascii);
    const f = await cost(fdfa);
    console.log(`ASCII ${a.toFixed(1)} ms, ﷺ-heavy ${f.toFixed(1)} ms for ${MAX} characters each`);
    expect(f).toBeGreaterThan(3 * a); // what the bound is for
    for (const parse of [
      () => parseOpenAi({ input: [fdfa] }, limits, engine.info),
      () => parseTei({ inputs: fdfa }, limits),
    ]) {
      let err: unknown;
      try {
        parse();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(413);
      expect((err as ApiError).message).toMatch(
        /has 155648 characters once normalised \(NFKC\), more than the maximum of 16384: split the text/,
      );
    }
    // Text whose normalised form is no longer still passes, and a little expansion within the bound.
    expect(
      parseOpenAi({ input: [ascii, `${'\ufdfa'.repeat(100)} ok`] }, limits, engine.info).texts,
    ).toHaveLength(2);
  }, 120_000);
});
