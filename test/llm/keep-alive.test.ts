/**
 * Models loaded on demand and unloaded when idle, as Ollama's keep_alive (model-pool.ts): the tiny
 * llama's F32 file as the default, loaded at start, and its Q8_0 file as a second model, loaded at
 * its first request, each through the real engine (node-llama-cpp) in process, spoken to with the
 * official ollama and openai clients. Time is the pool's injected clock: an expiry is reached by
 * moving it and sweeping, never by waiting.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keepAliveMs, ModelPool } from '../../modules/llm/server/model-pool.js';
import { tempDir } from '../setup/temp-registry.js';
import { poolsServedIn, Q8 } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const MiB = 2 ** 20;
const dir = tempDir('llm-keep-alive-');
const broken = join(dir, 'broken.gguf');
// A GGUF's magic and version, then nothing a model needs: llama.cpp refuses it.
writeFileSync(broken, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]));

let clock = Date.parse('2026-06-01T00:00:00Z');
const loads: Record<string, number> = { 'tiny-llama': 0, 'tiny-q8': 0, broken: 0 };
const logged: string[] = [];
/** A load takes 1.5 s of the pool's clock, so a request's load_duration is known. */
const loader = (id: string, over: Parameters<typeof loadTinyLlama>[0]) => async () => {
  loads[id]! += 1;
  const engine = await loadTinyLlama({ name: id, ...over });
  clock += 1500;
  return engine;
};

/** Two models of 100 MiB in a limit of 150: one at a time. */
function makePool(limitBytes: number | null) {
  return new ModelPool(
    [
      { id: 'tiny-llama', load: loader('tiny-llama', {}), needBytes: 100 * MiB },
      { id: 'tiny-q8', load: loader('tiny-q8', { modelPath: Q8 }), needBytes: 100 * MiB },
      { id: 'broken', load: loader('broken', { modelPath: broken }), needBytes: 10 * MiB },
    ],
    { keepAliveMs: 5 * 60_000, limitBytes, now: () => clock, log: (_, l) => logged.push(l) },
  );
}

const serve = poolsServedIn(dir, makePool);

let a: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  a = await serve('plain', null);
}, 120_000);

const ps = async (o: typeof a) =>
  Object.fromEntries((await o.ollama.ps()).models.map((m) => [m.name, String(m.expires_at)]));
const ask = (model: string, keep_alive?: string | number) => ({
  model,
  messages: [{ role: 'user', content: 'Hello' }],
  options: { temperature: 0, num_predict: 4 },
  stream: false as const,
  ...(keep_alive === undefined ? {} : { keep_alive }),
});

describe('llm: models loaded on demand, unloaded after keep_alive', () => {
  it('the default is loaded at start and kept; another loads at its first request, load_duration its load', async () => {
    expect(loads['tiny-llama']).toBe(1);
    expect(await ps(a)).toEqual({ 'tiny-llama:latest': '9999-12-31T23:59:59Z' });
    const models = await a.openai.models.list();
    expect(models.data.map((m) => [m.id, (m as unknown as { loaded: boolean }).loaded])).toEqual([
      ['tiny-llama', true],
      ['tiny-q8', false],
      ['broken', false],
    ]);
    const first = await a.ollama.chat(ask('tiny-q8', '10m'));
    expect(first.done).toBe(true);
    expect(first.load_duration).toBe(1500 * 1e6);
    expect(loads['tiny-q8']).toBe(1);
    expect(await ps(a)).toEqual({
      'tiny-llama:latest': '9999-12-31T23:59:59Z',
      'tiny-q8:latest': new Date(clock + 10 * 60_000).toISOString(),
    });
    // Loaded now: the next request waits for nothing.
    const again = await a.ollama.chat(ask('tiny-q8'));
    expect(again.load_duration).toBe(0);
    expect(loads['tiny-q8']).toBe(1);
    // The OpenAI routes keep it for the service's keep_alive (5 minutes here).
    await a.openai.chat.completions.create({
      model: 'tiny-q8',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 2,
    });
    const info = (await (await fetchInfo(a.socket)).json()) as {
      models: { id: string; expiresAt?: string }[];
    };
    const q8 = info.models.find((m) => m.id === 'tiny-q8');
    expect(q8).toMatchObject({ loaded: true, expiresAt: new Date(clock + 5 * 60_000).toISOString() });
    expect(info.models.find((m) => m.id === 'tiny-llama')).toMatchObject({ loaded: true, expiresAt: null });
  }, 120_000);

  it('idle past its keep_alive it is unloaded, and loaded again at the next request', async () => {
    clock += 5 * 60_000 - 1;
    await a.pool.sweep();
    expect(Object.keys(await ps(a))).toEqual(['tiny-llama:latest', 'tiny-q8:latest']);
    clock += 1;
    await a.pool.sweep();
    expect(Object.keys(await ps(a))).toEqual(['tiny-llama:latest']);
    expect(logged).toContain('unloaded model tiny-q8 (idle past its keep_alive)');
    const back = await a.ollama.generate({
      model: 'tiny-q8',
      prompt: 'Hi',
      stream: false,
      options: { num_predict: 2 },
    });
    expect(back.load_duration).toBe(1500 * 1e6);
    expect(loads['tiny-q8']).toBe(2);
  }, 120_000);

  it('never while a request holds it; keep_alive 0 unloads it once the answer is given', async () => {
    const held = await a.pool.acquire('tiny-q8', 60_000);
    clock += 60 * 60_000;
    await a.pool.sweep();
    expect(Object.keys(await ps(a))).toContain('tiny-q8:latest');
    held.release(0);
    expect(Object.keys(await ps(a))).toEqual(['tiny-llama:latest']);
    // keep_alive 0 on a request: answered, then unloaded (the default too, reloaded when asked).
    const r = await a.ollama.chat(ask('tiny-llama', 0));
    expect(r.done).toBe(true);
    expect(await ps(a)).toEqual({});
    expect((await a.ollama.chat(ask('tiny-llama'))).load_duration).toBe(1500 * 1e6);
    expect(await ps(a)).toEqual({ 'tiny-llama:latest': '9999-12-31T23:59:59Z' });
    // Ollama's load call (no messages) with keep_alive 0 unloads; with a duration, loads.
    await a.ollama.chat({ model: 'tiny-q8', messages: [], keep_alive: '1h' } as never);
    expect((await ps(a))['tiny-q8:latest']).toBe(new Date(clock + 3_600_000).toISOString());
    await a.ollama.chat({ model: 'tiny-q8', messages: [], keep_alive: 0 } as never);
    expect(Object.keys(await ps(a))).toEqual(['tiny-llama:latest']);
  }, 120_000);

  it("the pool's own timer unloads an idle model once its keep_alive has passed", async () => {
    expect((await a.ollama.chat(ask('tiny-q8', '1ms'))).done).toBe(true);
    expect(Object.keys(await ps(a))).toContain('tiny-q8:latest');
    clock += 10; // past its expiry by the pool's clock: its timer, when it wakes, unloads it
    const end = Date.now() + 10_000;
    while (Object.keys(await ps(a)).includes('tiny-q8:latest') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    expect(Object.keys(await ps(a))).toEqual(['tiny-llama:latest']);
    expect(logged.at(-1)).toBe('unloaded model tiny-q8 (idle past its keep_alive)');
  }, 120_000);

  it('two requests for a model being loaded share the one load', async () => {
    const before = loads['tiny-q8']!;
    const [x, y] = await Promise.all([a.ollama.chat(ask('tiny-q8')), a.ollama.chat(ask('tiny-q8'))]);
    expect([x.done, y.done]).toEqual([true, true]);
    expect(loads['tiny-q8']).toBe(before + 1);
  }, 120_000);

  it('a load that fails is an error for its requests, leaves nothing loaded, and is tried again', async () => {
    const err = (await a.ollama.chat(ask('broken')).catch((e: unknown) => e)) as {
      status_code: number;
      error: string;
    };
    expect(err.status_code).toBe(500);
    expect(err.error).toMatch(/./);
    expect(Object.keys(await ps(a))).not.toContain('broken:latest');
    await expect(a.ollama.chat(ask('broken'))).rejects.toMatchObject({ status_code: 500 });
    expect(loads.broken).toBe(2);
    // The others are served as before.
    expect((await a.ollama.chat(ask('tiny-llama'))).done).toBe(true);
  }, 120_000);

  it('a memory limit: an idle model is unloaded to make room (least recently used); one in use is a 503', async () => {
    const b = await serve('budget', 150 * MiB);
    expect(Object.keys(await ps(b))).toEqual(['tiny-llama:latest']);
    // tiny-q8 does not fit beside the idle default: the default is unloaded for it.
    expect((await b.ollama.chat(ask('tiny-q8'))).done).toBe(true);
    expect(Object.keys(await ps(b))).toEqual(['tiny-q8:latest']);
    expect(logged).toContain('unloaded model tiny-llama (room for tiny-q8)');
    // While tiny-q8 is held, the default cannot load: a 503 naming it and the limit, in each API's shape.
    const held = await b.pool.acquire('tiny-q8', 60_000);
    const e = (await b.ollama.chat(ask('tiny-llama')).catch((x: unknown) => x)) as {
      status_code: number;
      error: string;
    };
    expect(e.status_code).toBe(503);
    expect(e.error).toMatch(/model tiny-llama needs 100 MiB .*tiny-q8 \(100 MiB\).*memory limit is 150 MiB/);
    const o = await b.openai.chat.completions
      .create({ model: 'tiny-llama', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
      .catch((x: unknown) => x as { status: number; error: { message: string; type: string } });
    expect(o).toMatchObject({ status: 503, error: { type: 'server_busy' } });
    expect((o as { error: { message: string } }).error.message).toMatch(/memory limit is 150 MiB/);
    held.release();
    expect((await b.ollama.chat(ask('tiny-llama'))).done).toBe(true);
    expect(Object.keys(await ps(b))).toEqual(['tiny-llama:latest']);
  }, 120_000);

  it("keep_alive in Ollama's formats; a bad one is a 400 naming it", async () => {
    expect(keepAliveMs('5m')).toBe(300_000);
    expect(keepAliveMs('1h30m')).toBe(5_400_000);
    expect(keepAliveMs('250ms')).toBe(250);
    expect(keepAliveMs(30)).toBe(30_000);
    expect(keepAliveMs('0')).toBe(0);
    expect(keepAliveMs(-1)).toBe(-1);
    expect(keepAliveMs('-1m')).toBe(-1);
    expect(keepAliveMs('soon')).toBeUndefined();
    await expect(a.ollama.chat(ask('tiny-llama', 'soon'))).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringMatching(/'keep_alive' must be a duration/),
    });
  });
});

/** GET /info over the socket (no token on this server). */
function fetchInfo(socket: string) {
  return import('undici').then(({ Agent, fetch }) =>
    fetch('http://localhost/info', { dispatcher: new Agent({ connect: { socketPath: socket } }) }),
  );
}
