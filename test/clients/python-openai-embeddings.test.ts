/**
 * The official `openai` Python package against the real embeddings module (the tiny BERT, in the
 * Podman sandbox) over its unix socket with the admin's token: the vectors the client decodes from
 * its default base64 are the float answer's and the reference's (torch, test/fixtures/models);
 * a wrong token and a `dimensions` the model cannot give are the client's exceptions with our words.
 * See python-openai.test.ts for the llm module.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/embeddings/package.js';
import { FIXTURE_MODELS, maxAbsDiff, type Reference } from '../embeddings/helpers.js';
import { moduleE2E } from '../helpers/module-e2e.js';
import { ownImageContents } from '../services/helpers.js';
import { runOpenAiPython } from './python-venv.js';

const ref = JSON.parse(readFileSync(join(FIXTURE_MODELS, 'tiny-bert.reference.json'), 'utf8')) as Reference;
const name = `emb-py-${process.pid}`;
const e = moduleE2E({
  prefix: 'bp-emb-py-',
  install: [name],
  sources: async (work) => {
    const { dir } = await makePackageSource({
      model: join(FIXTURE_MODELS, 'tiny-bert'),
      out: join(work, 'src'),
      name,
    });
    ownImageContents(dir);
    return [dir];
  },
});

// biome-ignore lint/suspicious/noExplicitAny: the script's JSON is checked field by field
type Json = any;

describe('embeddings module with the official Python openai client on its unix socket', () => {
  it("base64 and float vectors are the reference's; a wrong token and a bad dimensions as the client's errors", async () => {
    const token = (await e.blueprint('service', 'token', name)).token as string;
    expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const texts = ref.cases.map((c) => c.text);
    const r: Json = await runOpenAiPython('embeddings', e.socket(name), token, {
      input: JSON.stringify(texts),
    });
    expect(r.models).toEqual(['tiny-bert']);
    expect(r.model).toBe('tiny-bert');
    expect(r.vectors).toHaveLength(texts.length);
    ref.cases.forEach((c, i) => {
      expect(r.vectors[i]).toHaveLength(ref.dimension);
      expect(maxAbsDiff(r.vectors[i], c.embedding), c.text).toBeLessThan(1e-5);
    });
    // base64 carries the float32s themselves: what the client decoded is the float answer exactly.
    expect(r.vectors).toEqual(r.float_vectors);
    expect(r.prompt_tokens).toBeGreaterThan(0);
    expect(r.wrong_token).toMatchObject({ error: 'AuthenticationError', status: 401 });
    expect(r.wrong_token.message).toContain('`blueprint service token');
    expect(r.bad_request).toMatchObject({
      error: 'BadRequestError',
      status: 400,
      param: 'dimensions',
      message: `'dimensions' must be ${ref.dimension}: this model cannot shorten its vectors`,
    });
    await e.blueprint('service', 'stop', name);
  }, 300_000);
});
