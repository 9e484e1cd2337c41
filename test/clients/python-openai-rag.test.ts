/**
 * The official `openai` Python package against the real rag module (with the embeddings, vectors
 * and llm modules it uses, all in the Podman sandbox), over rag's unix socket with its access
 * token: POST /v1/chat/completions whole and streamed, rag's `k` given as the client's extra_body,
 * and its `sources` (beyond OpenAI's schema) read from the response's model_extra: the whole
 * answer's, and the first stream chunk's. See python-openai.test.ts for the llm module.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus, questions } from '../fixtures/rag/corpus.js';
import { ragStackE2E } from '../helpers/rag-stack-e2e.js';
import { runOpenAiPython } from './python-venv.js';

const { names, e } = ragStackE2E('bp-rag-py-', `py-${process.pid}`);

// biome-ignore lint/suspicious/noExplicitAny: the script's JSON is checked field by field
type Json = any;

describe('rag module with the official Python openai client on its unix socket', () => {
  it("chat whole and streamed with sources; a wrong token and a bad request as the client's errors", async () => {
    const token = (await e.blueprint('service', 'token', names.rag)).token as string;
    expect(await e.blueprint('service', 'start', names.rag)).toMatchObject({ healthy: true });
    const dir = join(e.work, 'docs');
    await mkdir(dir);
    for (const d of await corpus())
      if (d.source !== 'volcanoes.pdf') writeFileSync(join(dir, d.source), d.bytes);
    const ingest = await e.run(['rag', 'ingest', dir, '--service', names.rag]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const q = questions.find((x) => x.source === 'bread.md')!;

    const r: Json = await runOpenAiPython('rag', e.socket(names.rag), token, { input: q.query });
    expect(r.whole).toMatchObject({ object: 'chat.completion', finish_reason: 'length' });
    expect(r.whole.text.length).toBeGreaterThan(0);
    // k=1 (extra_body): the one chunk the model was given, from the document the question is about.
    expect(r.whole.extra.sources).toEqual([
      { document: expect.any(String), source: 'docs/bread.md', page: null, score: expect.any(Number) },
    ]);
    expect(r.stream).toMatchObject({ text: r.whole.text, finish_reason: 'length' });
    expect(r.stream.chunks).toBeGreaterThan(2);
    expect(r.stream.first_extra.sources).toEqual(r.whole.extra.sources);
    expect(r.wrong_token).toMatchObject({ error: 'AuthenticationError', status: 401 });
    expect(r.bad_request).toMatchObject({
      error: 'BadRequestError',
      status: 400,
      param: 'messages',
      message: "'messages' must be a non-empty array",
    });
    await e.blueprint('service', 'stop', names.rag);
  }, 900_000);
});
