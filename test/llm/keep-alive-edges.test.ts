/**
 * The model pool's edges (model-pool.ts), through the real engine (node-llama-cpp) and the official
 * ollama and openai clients: keep_alive in each of Ollama's forms and refused forms, a keep_alive
 * that passes while a stream is still being written, a client gone during the load it waited for.
 * Time is the pool's injected clock; a load is held by a gate the test opens, never by a wait.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { ModelPool } from '../../modules/llm/server/model-pool.js';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, openAiOnSocket, Q8, servePool } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const dir = tempDir('llm-keep-alive-edges-');
const socket = join(dir, 'api.sock');
let clock = Date.parse('2026-06-01T00:00:00Z');
let loads = 0;
/** While set, tiny-q8's load waits for it (the test opens it). */
let gate: Promise<void> | undefined;
let loadBegun: (() => void) | undefined;
/** The engines tiny-q8's loads made. */
const made: Engine[] = [];

const pool = new ModelPool(
  [
    { id: 'tiny-llama', load: () => loadTinyLlama({ name: 'tiny-llama' }) },
    {
      id: 'tiny-q8',
      load: async (signal) => {
        loads += 1;
        loadBegun?.();
        await gate;
        const engine = await loadTinyLlama({ name: 'tiny-q8', modelPath: Q8, loadSignal: signal });
        made.push(engine);
        return engine;
      },
    },
  ],
  { keepAliveMs: 5 * 60_000, now: () => clock },
);
let kit: KitServer;
const ollama = ollamaOnSocket(socket);
const openai = openAiOnSocket(socket);

beforeAll(async () => {
  await pool.start();
  kit = await servePool(pool, socket);
}, 120_000);
afterAll(async () => {
  await kit.drain(1000);
  await pool.dispose();
});

const ask = (keep_alive: unknown) => ({
  model: 'tiny-q8',
  messages: [{ role: 'user', content: 'Hello' }],
  options: { temperature: 0, num_predict: 2 },
  stream: false as const,
  // Any JSON value, as a client may send it (the ollama client's type says string | number).
  keep_alive: keep_alive as string,
});
const expiry = async () =>
  (await ollama.ps()).models.find((m) => m.name === 'tiny-q8:latest')?.expires_at as unknown as
    | string
    | undefined;
const NEVER = '9999-12-31T23:59:59Z';

describe("llm model pool: keep_alive's edge forms", () => {
  it.each([
    ['"1h30m"', '1h30m', 5_400_000],
    ['a number of seconds', 30, 30_000],
    ['seconds as a string', '30', 30_000],
    ['a fraction of seconds', 1.5, 1_500],
    ['"5m0s" (Go\'s own form)', '5m0s', 300_000],
  ])('%s keeps the model that long after the answer', async (_, keep, ms) => {
    await ollama.chat(ask(keep));
    expect(await expiry()).toBe(new Date(clock + ms).toISOString());
  });

  it.each([
    ['-1', -1],
    ['"-1"', '-1'],
    ['"-1m"', '-1m'],
  ])('%s keeps it while the service runs', async (_, keep) => {
    await ollama.chat(ask(keep));
    expect(await expiry()).toBe(NEVER);
  });

  it.each([
    ['0', 0],
    ['"0"', '0'],
    ['"0s"', '0s'],
  ])('%s unloads it once answered', async (_, keep) => {
    const r = await ollama.chat(ask(keep));
    expect(r.done).toBe(true);
    await pool.sweep(); // its disposal runs on; the listing no longer has it either way
    expect(await expiry()).toBeUndefined();
  });

  it('a keep_alive too long for a date is kept while the service runs, as Ollama clamps it', async () => {
    await ollama.chat(ask(1e300));
    expect(await expiry()).toBe(NEVER);
    await ollama.chat(ask('9999999999h'));
    expect(await expiry()).toBe(NEVER);
    const info = (await (await fetchInfo()).json()) as { models: { id: string; expiresAt?: unknown }[] };
    expect(info.models.find((m) => m.id === 'tiny-q8')?.expiresAt).toBeNull();
  });

  it.each([
    ['garbage', 'soon'],
    ['an empty string', ''],
    ['a space inside', '5 m'],
    ['a unit Go has not', '5d'],
    ['a boolean', true],
    ['an object', { minutes: 5 }],
  ])('%s is a 400 naming keep_alive', async (_, keep) => {
    const e = (await ollama.chat(ask(keep)).catch((x: unknown) => x)) as {
      status_code: number;
      error: string;
    };
    expect(e.status_code).toBe(400);
    expect(e.error).toMatch(/'keep_alive'/);
  });

  it('the OpenAI routes refuse a keep_alive, naming it (they keep for LLM_KEEP_ALIVE)', async () => {
    const e = await openai.chat.completions
      .create({
        model: 'tiny-q8',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 2,
        keep_alive: '1h',
      } as never)
      .catch((x: unknown) => x as { status: number; error: { message: string } });
    expect(e).toMatchObject({ status: 400 });
    expect((e as { error: { message: string } }).error.message).toMatch(/'keep_alive' is not a field/);
  });
});

describe('llm model pool: a stream, a client gone', () => {
  it('a keep_alive that passes while a stream is written does not unload the model under it', async () => {
    await ollama.chat(ask('1s'));
    const stream = await ollama.chat({
      model: 'tiny-q8',
      messages: [{ role: 'user', content: 'Hello' }],
      options: { temperature: 0, num_predict: 24 },
      stream: true,
      keep_alive: '2s',
    });
    let parts = 0;
    let done: { done: boolean; eval_count?: number } | undefined;
    for await (const part of stream) {
      parts += 1;
      if (parts === 1) {
        // The last answer's keep_alive (1 s) passes mid-stream, and a sweep runs.
        clock += 60_000;
        await pool.sweep();
        expect(await expiry()).toBeDefined();
      }
      if (part.done) done = part;
    }
    expect(done?.done).toBe(true);
    expect(parts).toBeGreaterThan(2);
    // Released at the stream's end, kept for its own keep_alive from then.
    expect(await expiry()).toBe(new Date(clock + 2000).toISOString());
  }, 60_000);

  it('a client gone during the load it waited for: the load goes on, the model is kept, nothing held', async () => {
    await ollama.chat(ask(0));
    await pool.sweep();
    expect(await expiry()).toBeUndefined();
    let open: () => void = () => undefined;
    gate = new Promise((r) => {
      open = r;
    });
    const begun = new Promise<void>((r) => {
      loadBegun = r;
    });
    const before = loads;
    const abort = new AbortController();
    const asked = postChat(abort.signal);
    await begun;
    abort.abort();
    await asked.catch(() => undefined);
    open();
    gate = undefined;
    // The load ends and is kept (for LLM_KEEP_ALIVE: the request's never came to be held).
    while (!pool.loaded().some((m) => m.id === 'tiny-q8' && m.holders === 0))
      await new Promise((r) => setImmediate(r));
    expect(loads).toBe(before + 1);
    const q8 = pool.loaded().find((m) => m.id === 'tiny-q8')!;
    expect(q8.holders).toBe(0);
    // The next request finds it loaded: no second load.
    const r = await ollama.chat(ask('5m'));
    expect(r.load_duration).toBe(0);
    expect(loads).toBe(before + 1);
  }, 60_000);
});

describe('llm model pool: the service stops during a load', () => {
  it('the load is aborted (node-llama-cpp loadSignal), its request a 503, nothing left loaded, none after', async () => {
    await ollama.chat(ask(0));
    await pool.sweep();
    expect(await expiry()).toBeUndefined();
    const engines = made.length;
    let open: () => void = () => undefined;
    gate = new Promise((r) => {
      open = r;
    });
    const begun = new Promise<void>((r) => {
      loadBegun = r;
    });
    const asked = ollama.chat(ask('5m')).catch((x: unknown) => x as { status_code: number; error: string });
    await begun;
    // The stop (main.ts: SIGTERM, then the drain, then dispose) while tiny-q8 is loading.
    const stopped = pool.dispose();
    open();
    gate = undefined;
    await stopped;
    expect(await asked).toMatchObject({ status_code: 503, error: expect.stringMatching(/stopping/) });
    expect(made.length).toBe(engines); // llama.cpp's load was stopped: no engine made
    expect(pool.loaded()).toEqual([]);
    await expect(pool.acquire('tiny-q8', 1000)).rejects.toMatchObject({ status: 503 });
  }, 60_000);
});

/** POST /api/chat for tiny-q8 with a signal the test aborts (the client's fetch, undici's). */
async function postChat(signal: AbortSignal): Promise<unknown> {
  const { Agent, fetch } = await import('undici');
  return fetch('http://localhost/api/chat', {
    method: 'POST',
    body: JSON.stringify({ model: 'tiny-q8', messages: [{ role: 'user', content: 'Hi' }], stream: false }),
    headers: { 'content-type': 'application/json' },
    dispatcher: new Agent({ connect: { socketPath: socket } }),
    signal,
  });
}

/** GET /info over the socket (no token on this server). */
async function fetchInfo() {
  const { Agent, fetch } = await import('undici');
  return fetch('http://localhost/info', { dispatcher: new Agent({ connect: { socketPath: socket } }) });
}
