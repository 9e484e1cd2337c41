/**
 * Embeddings and the model pool (model-pool.ts): an embedding context's memory admitted like a
 * model's (idle models unloaded for it, else a 503 naming the limit, in both APIs' shapes), a model
 * loaded by its first embedding request and kept for the request's keep_alive, and a model
 * node-llama-cpp says cannot embed refused with a 400. The tiny llama's F32 and Q8_0 files through
 * the real engine in process, the official ollama and openai clients; the pool's clock injected.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../modules/llm/server/engine.js';
import { ModelPool } from '../../modules/llm/server/model-pool.js';
import { tempDir } from '../setup/temp-registry.js';
import { poolsServedIn, Q8 } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const MiB = 2 ** 20;
const dir = tempDir('llm-embed-pool-');
let clock = Date.parse('2026-06-01T00:00:00Z');
const logged: string[] = [];

/**
 * The tiny llama whose model says it is an encoder-decoder one (node-llama-cpp's insights), so
 * that node-llama-cpp itself refuses to make its embedding context.
 */
async function encoderDecoder(): Promise<Engine> {
  const engine = await loadTinyLlama({ name: 'encdec' });
  const inner = engine as unknown as { model: object };
  const model = inner.model as { fileInsights: object };
  const insights = new Proxy(model.fileInsights, {
    get: (t, k) => (k === 'hasEncoder' || k === 'hasDecoder' ? true : Reflect.get(t, k)),
  });
  inner.model = new Proxy(model, { get: (t, k) => (k === 'fileInsights' ? insights : Reflect.get(t, k)) });
  return engine;
}

/** tiny-llama (the default) and tiny-q8, 100 MiB each, each embedding context 40 MiB. */
function makePool(limitBytes: number | null) {
  return new ModelPool(
    [
      { id: 'tiny-llama', load: () => loadTinyLlama(), needBytes: 100 * MiB, embedBytes: 40 * MiB },
      {
        id: 'tiny-q8',
        load: async () => {
          const e = await loadTinyLlama({ name: 'tiny-q8', modelPath: Q8 });
          clock += 1500;
          return e;
        },
        needBytes: 100 * MiB,
        embedBytes: 40 * MiB,
      },
      { id: 'encdec', load: encoderDecoder, needBytes: 10 * MiB, embedBytes: 1 * MiB },
    ],
    { keepAliveMs: 5 * 60_000, limitBytes, now: () => clock, log: (_, l) => logged.push(l) },
  );
}

const serve = poolsServedIn(dir, makePool, 16);

const loaded = async (o: Awaited<ReturnType<typeof serve>>) =>
  (await o.ollama.ps()).models.map((m) => m.name);
const failure = async (call: Promise<unknown>) =>
  (await call.then(
    () => ({}),
    (e: unknown) => e,
  )) as { status?: number; status_code?: number; error?: unknown };

describe('llm: embeddings in the model pool', () => {
  it('a model not loaded is loaded by its first embedding request, kept for its keep_alive (0: unloaded after)', async () => {
    const s = await serve('keep', null);
    expect(await loaded(s)).toEqual(['tiny-llama:latest']);
    const r = await s.ollama.embed({ model: 'tiny-q8', input: 'Hello world', keep_alive: '1m' });
    expect(r.embeddings[0]).toHaveLength(64);
    expect(r.load_duration).toBeGreaterThanOrEqual(1500 * 1e6);
    const ps = (await s.ollama.ps()).models.find((m) => m.name === 'tiny-q8:latest');
    expect(String(ps?.expires_at)).toBe(new Date(clock + 60_000).toISOString());
    // The Q8_0 copy embeds close to the F32 one, not the same.
    const f32 = (await s.ollama.embed({ model: 'tiny-llama', input: 'Hello world' })).embeddings[0]!;
    const cos = f32.reduce((n, x, i) => n + x * r.embeddings[0]![i]!, 0);
    expect(cos).toBeGreaterThan(0.95);
    await s.ollama.embed({ model: 'tiny-q8', input: 'Hello world', keep_alive: 0 });
    await s.pool.sweep();
    expect(await loaded(s)).toEqual(['tiny-llama:latest']);
    expect(logged).toContain('unloaded model tiny-q8 (keep_alive 0)');
  });

  it('the embedding context is admitted like a model: idle models unloaded for it, else a 503 naming the limit', async () => {
    // 230 MiB: both models fit (200), not with tiny-llama's embedding context too (240).
    const s = await serve('room', 230 * MiB);
    await s.ollama.chat({ model: 'tiny-q8', messages: [{ role: 'user', content: 'Hi' }], stream: false });
    expect(await loaded(s)).toEqual(['tiny-llama:latest', 'tiny-q8:latest']);
    await s.openai.embeddings.create({ model: 'tiny-llama', input: 'Hello' });
    expect(await loaded(s)).toEqual(['tiny-llama:latest']);
    expect(logged).toContain("unloaded model tiny-q8 (room for tiny-llama's embeddings)");
    // Now tiny-q8 needs 100 beside tiny-llama and its context (140): tiny-llama, idle, goes.
    await s.ollama.embed({ model: 'tiny-q8', input: 'Hello' });
    expect(await loaded(s)).toEqual(['tiny-q8:latest']);

    // 130 MiB: a model fits, never with its embedding context.
    const t = await serve('small', 130 * MiB);
    const o = await failure(t.ollama.embed({ model: 'tiny-llama', input: 'Hello' }));
    expect(o.status_code).toBe(503);
    expect(String(o.error)).toMatch(
      /model tiny-llama with its embedding context needs 140 MiB, more than this service's memory limit of 130 MiB/,
    );
    const a = await failure(t.openai.embeddings.create({ model: 'tiny-llama', input: 'Hello' }));
    expect(a.status).toBe(503);
    expect(a.error).toMatchObject({ type: 'server_busy', param: 'model' });
    // Nothing was made, nothing counted: generation goes on, and the refusal stands.
    const chat = await t.openai.chat.completions.create({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 2,
    });
    expect(chat.choices[0]!.finish_reason).toMatch(/stop|length/);
    expect((await failure(t.ollama.embed({ model: 'tiny-llama', input: 'Hello' }))).status_code).toBe(503);
  });

  it('a model node-llama-cpp cannot embed with is a 400 in both APIs, and it still generates', async () => {
    const s = await serve('encdec', null);
    const o = await failure(s.ollama.embed({ model: 'encdec', input: 'Hello' }));
    expect(o.status_code).toBe(400);
    expect(String(o.error)).toMatch(
      /this model cannot make embeddings \(node-llama-cpp: Computing embeddings is not supported for encoder-decoder models\.\)/,
    );
    const a = await failure(s.openai.embeddings.create({ model: 'encdec', input: 'Hello' }));
    expect(a.status).toBe(400);
    expect(a.error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
    const g = await s.ollama.generate({
      model: 'encdec',
      prompt: 'Hi',
      options: { num_predict: 2 },
      stream: false,
    });
    expect(g.done).toBe(true);
  });
});
