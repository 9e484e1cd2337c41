/**
 * The official `openai` Python package against the real embeddings module (the tiny BERT, in the
 * Podman sandbox) over its unix socket with the admin's token: the vectors the client decodes from
 * its default base64 are the float answer's and the reference's (torch, test/fixtures/models);
 * a wrong token and a `dimensions` the model cannot give are the client's exceptions with our words.
 * See python-openai.test.ts for the llm module.
 */
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, tinyBertReference } from '../embeddings/helpers.js';
import { moduleE2E } from '../helpers/module-e2e.js';
import { tinyBertModule } from '../helpers/tiny-bert-module.js';
import { runOpenAiPython } from './python-venv.js';

const ref = tinyBertReference();
const name = `emb-py-${process.pid}`;
const e = moduleE2E({
  prefix: 'bp-emb-py-',
  install: [name],
  sources: tinyBertModule(name),
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
