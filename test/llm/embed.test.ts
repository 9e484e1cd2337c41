import { join } from 'node:path';
import type { Ollama } from 'ollama';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import { EmbeddingTimeoutError } from '../../modules/llm/server/embed.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { postJson } from '../helpers/post-json.js';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const dir = tempDir('llm-embed-');
const socket = join(dir, 'api.sock');
const TOKEN = 'llm-embed-token-0123456789';
/** The tiny llama's llama.embedding_length. */
const SIZE = 64;
let engine: Engine;
let kit: KitServer;
let ollama: Ollama;
let openai: OpenAI;

beforeAll(async () => {
  engine = await loadTinyLlama();
  kit = createApiServer([engine], {
    log: createLog({ name: 'test', write: () => undefined }),
    token: TOKEN,
    maxTokensCap: 64,
    generationTimeoutS: 120,
    embedLimits: { maxInputs: 8, maxChars: 10_000 },
  });
  await kit.listen(socket);
  ollama = ollamaOnSocket(socket, TOKEN);
  openai = openAiOnSocket(socket, TOKEN);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

const norm = (v: readonly number[]) => Math.hypot(...v);
const close = (a: readonly number[], b: readonly number[], eps = 1e-5) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= eps);

/** A raw POST: status and parsed body, for what the clients do not show. */
const post = (path: string, body: unknown) => postJson<Record<string, unknown>>(socket, path, body, TOKEN);

/** The error of a client call that must fail: its HTTP status and message. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as
    | { status?: number; status_code?: number; message: string; error?: string | { message: string } }
    | undefined;
  expect(err).toBeDefined();
  // Ollama's ResponseError holds Ollama's `error` text; openai's APIError OpenAI's error object.
  const e = err!.error;
  return {
    status: err!.status ?? err!.status_code ?? 0,
    message: typeof e === 'string' ? e : (e?.message ?? err!.message),
  };
}

const long = 'the quick brown fox jumps over the lazy dog '.repeat(40); // ~400 tokens, past 256

describe('llm: embeddings from the loaded model', () => {
  it('ollama.embed: one L2-normalised vector of the model size per input, in order, the same input the same vector', async () => {
    const one = await ollama.embed({ model: 'tiny-llama', input: 'Hello world' });
    expect(one.model).toBe('tiny-llama');
    expect(one.embeddings).toHaveLength(1);
    expect(one.embeddings[0]).toHaveLength(SIZE);
    expect(norm(one.embeddings[0]!)).toBeCloseTo(1, 5);
    expect(one.prompt_eval_count).toBeGreaterThan(1);
    expect(one.total_duration).toBeGreaterThan(0);
    const batch = await ollama.embed({
      model: 'tiny-llama:latest',
      input: ['Hello world', 'A different sentence about cats', 'Hello world'],
    });
    expect(batch.embeddings).toHaveLength(3);
    // Batch order: each is the vector of its own input alone.
    expect(close(batch.embeddings[0]!, one.embeddings[0]!)).toBe(true);
    expect(close(batch.embeddings[2]!, one.embeddings[0]!)).toBe(true);
    const cats = await ollama.embed({ model: 'tiny-llama', input: 'A different sentence about cats' });
    expect(close(batch.embeddings[1]!, cats.embeddings[0]!)).toBe(true);
    // Different texts, different vectors.
    expect(close(batch.embeddings[1]!, batch.embeddings[0]!, 1e-3)).toBe(false);
    expect(batch.prompt_eval_count).toBe(2 * one.prompt_eval_count + cats.prompt_eval_count);
  });

  it('ollama.embeddings (the older route) is the raw vector: the same direction, not normalised', async () => {
    const old = await ollama.embeddings({ model: 'tiny-llama', prompt: 'Hello world' });
    const now = await ollama.embed({ model: 'tiny-llama', input: 'Hello world' });
    expect(old.embedding).toHaveLength(SIZE);
    const n = norm(old.embedding);
    expect(Math.abs(n - 1)).toBeGreaterThan(1e-3);
    expect(
      close(
        old.embedding.map((x) => x / n),
        now.embeddings[0]!,
      ),
    ).toBe(true);
    // Ollama's "load the model" call: an empty prompt answers an empty embedding.
    expect((await ollama.embeddings({ model: 'tiny-llama', prompt: '' })).embedding).toEqual([]);
  });

  it('an empty input answers no embeddings; dimensions cut and normalise again; truncate', async () => {
    expect((await ollama.embed({ model: 'tiny-llama', input: [] })).embeddings).toEqual([]);
    expect((await ollama.embed({ model: 'tiny-llama', input: '' })).embeddings).toEqual([]);
    const full = (await ollama.embed({ model: 'tiny-llama', input: 'Hello world' })).embeddings[0]!;
    const cut = (await ollama.embed({ model: 'tiny-llama', input: 'Hello world', dimensions: 16 }))
      .embeddings[0]!;
    expect(cut).toHaveLength(16);
    expect(norm(cut)).toBeCloseTo(1, 5);
    const head = full.slice(0, 16);
    expect(
      close(
        cut,
        head.map((x) => x / norm(head)),
      ),
    ).toBe(true);
    // Over the context: cut to what it holds by default, a 400 with truncate: false.
    const cutLong = await ollama.embed({ model: 'tiny-llama', input: long });
    expect(cutLong.embeddings[0]).toHaveLength(SIZE);
    expect(cutLong.prompt_eval_count).toBeLessThan(256);
    expect(cutLong.prompt_eval_count).toBeGreaterThan(200);
    const refused = await failure(
      ollama.embed({ model: 'tiny-llama', input: ['short', long], truncate: false }),
    );
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(
      /input 1 is \d+ tokens; this model's context for embeddings is 256 tokens/,
    );
  });

  it('openai embeddings.create: float and base64 agree with Ollama, index in order, usage', async () => {
    const texts = ['Hello world', 'A different sentence about cats'];
    const floats = await openai.embeddings.create({
      model: 'tiny-llama',
      input: texts,
      encoding_format: 'float',
    });
    expect(floats.object).toBe('list');
    expect(floats.model).toBe('tiny-llama');
    expect(floats.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, SIZE],
      ['embedding', 1, SIZE],
    ]);
    const ours = await ollama.embed({ model: 'tiny-llama', input: texts });
    for (const i of [0, 1]) expect(close(floats.data[i]!.embedding, ours.embeddings[i]!)).toBe(true);
    expect(floats.usage).toEqual({
      prompt_tokens: ours.prompt_eval_count,
      total_tokens: ours.prompt_eval_count,
    });
    // base64 asked for: the client hands the string over as it came; little-endian float32s.
    const b64 = await openai.embeddings.create({
      model: 'tiny-llama',
      input: texts,
      encoding_format: 'base64',
    });
    const raw = b64.data[1]!.embedding as unknown as string;
    expect(typeof raw).toBe('string');
    const bytes = Buffer.from(raw, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(close(decoded, floats.data[1]!.embedding, 1e-6)).toBe(true);
    // No encoding_format: the client asks for base64 and decodes it itself.
    const plain = await openai.embeddings.create({ model: 'tiny-llama', input: 'Hello world' });
    expect(close(plain.data[0]!.embedding, floats.data[0]!.embedding, 1e-6)).toBe(true);
    const short = await openai.embeddings.create({
      model: 'tiny-llama',
      input: 'Hello world',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(short.data[0]!.embedding).toHaveLength(8);
    expect(norm(short.data[0]!.embedding)).toBeCloseTo(1, 5);
  });

  it('a text past the characters the context can hold is cut before it is tokenised, or refused', async () => {
    // 256 tokens of at most 16 characters (the engine's bound): 9,000 letters are never tokenised whole.
    expect(engine.maxPromptChars).toBeLessThan(9000);
    const letters = 'a'.repeat(9000);
    const refused = await failure(ollama.embed({ model: 'tiny-llama', input: letters, truncate: false }));
    expect([refused.status, refused.message]).toEqual([
      400,
      `input 0 is more than the ${engine.maxPromptChars} characters its context can hold; this model's context for embeddings is 256 tokens: send shorter inputs, or let them be truncated (truncate: true)`,
    ]);
    const cut = await ollama.embed({ model: 'tiny-llama', input: letters });
    expect(cut.embeddings[0]).toHaveLength(SIZE);
    expect(cut.prompt_eval_count).toBeLessThan(256);
    const over = await post('/v1/embeddings', { input: letters });
    expect([over.status, (over.body.error as { code: string }).code]).toEqual([
      400,
      'context_length_exceeded',
    ]);
  });

  it('a batch stops between inputs at its deadline or when its client leaves, answering nothing', async () => {
    const embedder = await engine.embedder();
    const two = ['Hello world', 'A different sentence about cats'];
    // A deadline of 0 ms has passed once the first input was evaluated.
    const late = await embedder
      .embed(two, { truncate: true, signal: new AbortController().signal, timeoutMs: 0 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(late).toBeInstanceOf(EmbeddingTimeoutError);
    expect(String(late)).toMatch(
      /deadline of 0 s after [01] of 2 inputs: send fewer or shorter inputs at once/,
    );
    const gone = new AbortController();
    gone.abort();
    await expect(embedder.embed(two, { truncate: true, signal: gone.signal })).rejects.toThrow(/abort/i);
    // The context is whole after both: the next batch answers as before.
    const again = await embedder.embed(two, { truncate: true, signal: new AbortController().signal });
    expect(again.vectors).toHaveLength(2);
  });

  it('token ids are embedded as the same text is', async () => {
    const ids = [...engine.tokenize('Hello world')];
    const byIds = await openai.embeddings.create({
      model: 'tiny-llama',
      input: ids,
      encoding_format: 'float',
    });
    const byText = await openai.embeddings.create({
      model: 'tiny-llama',
      input: 'Hello world',
      encoding_format: 'float',
    });
    expect(close(byIds.data[0]!.embedding, byText.data[0]!.embedding)).toBe(true);
    const two = await openai.embeddings.create({
      model: 'tiny-llama',
      input: [ids, ids],
      encoding_format: 'float',
    });
    expect(two.data).toHaveLength(2);
    const badId = await failure(openai.embeddings.create({ model: 'tiny-llama', input: [ids, [1, 99_999]] }));
    expect([badId.status, badId.message]).toEqual([
      400,
      expect.stringMatching(/token 99999, not one of this model's 1024/),
    ]);
  });

  it('limits and bad input are 400s naming the field', async () => {
    const many = await failure(ollama.embed({ model: 'tiny-llama', input: Array(9).fill('x') }));
    expect([many.status, many.message]).toEqual([
      400,
      expect.stringMatching(/9 inputs; at most 8 .*LLM_MAX_EMBED_INPUTS/),
    ]);
    const big = await failure(
      openai.embeddings.create({ model: 'tiny-llama', input: ['a'.repeat(5000), 'b'.repeat(5001)] }),
    );
    expect([big.status, big.message]).toEqual([
      400,
      expect.stringMatching(/more than 10000 characters in all.*LLM_MAX_EMBED_CHARS/),
    ]);
    const over = await post('/v1/embeddings', { input: long });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ param: 'input', code: 'context_length_exceeded' });
    const dims = await failure(ollama.embed({ model: 'tiny-llama', input: 'x', dimensions: SIZE + 1 }));
    expect([dims.status, dims.message]).toEqual([
      400,
      expect.stringMatching(/have 64: ask for at most that many/),
    ]);
    for (const [body, param] of [
      [{ input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ input: 'x', top_k: 1 }, 'top_k'],
      [{ input: ['x', ''] }, 'input'],
      [{ input: [] }, 'input'],
      [{ input: 3 }, 'input'],
      [{ input: 'x', dimensions: 0 }, 'dimensions'],
      [{}, 'input'],
    ] as const) {
      const r = await post('/v1/embeddings', body);
      expect([r.status, (r.body.error as { param: string }).param]).toEqual([400, param]);
    }
    for (const body of [
      { model: 'tiny-llama', input: [1, 2] },
      { model: 'tiny-llama', input: 'x', truncate: 'no' },
      { model: 'tiny-llama', input: 'x', options: [] },
      { model: 'nope', input: 'x' },
    ]) {
      const r = await post('/api/embed', body);
      expect(r.status).toBe(body.model === 'nope' ? 404 : 400);
      expect(typeof r.body.error).toBe('string');
    }
    const old = await post('/api/embeddings', { model: 'tiny-llama', prompt: ['x'] });
    expect([old.status, old.body.error]).toEqual([400, "'prompt' must be a string"]);
  });
});
