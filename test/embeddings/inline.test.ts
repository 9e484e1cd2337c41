/**
 * Issue 17: the model runs on the main thread, its only copy in the process; the worker thread
 * tokenises the requests too long to tokenise there at once. Either way the vectors are the same,
 * bit for bit, and a batch of many model runs leaves the event loop free between runs.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineWorker, startEngineWorker } from '../../modules/embeddings/server/engine-worker.js';
import { call, FIXTURE_MODELS } from './helpers.js';
import { bundle, healthLatency, type Served, serve } from './served.js';

let file: string;
const engines: EngineWorker[] = [];
const served: Served[] = [];
const init = { modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu' as const, threads: 1 };
const start = async (tokenizeChars?: number, maxRunTokens?: number) => {
  const e = await startEngineWorker(
    pathToFileURL(file),
    { ...init, maxRunTokens },
    () => {},
    undefined,
    tokenizeChars,
  );
  engines.push(e);
  return e;
};

beforeAll(async () => {
  file = await bundle();
}, 60_000);
afterAll(async () => {
  await Promise.all([...engines.map((e) => e.dispose()), ...served.map((s) => s.stop())]);
  if (file) rmSync(dirname(file), { recursive: true, force: true });
});

const small = ['a cat sits on the mat', 'stock prices fell sharply today'];
const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('where a request is tokenised, and where the model runs', () => {
  it('a short request tokenised on the main thread, a long one in the worker, the same vectors', async () => {
    const here = await start(1000);
    const worker = await start(0); // every request tokenised in the worker
    expect(here.tokenizeChars).toBe(1000);
    expect(here.placement(small)).toBe('main');
    expect(here.placement(['x'.repeat(1001)])).toBe('worker');
    expect(worker.placement(small)).toBe('worker');
    const opts = { truncate: true, normalize: true };
    const [a, b] = await Promise.all([here.embed(small, opts), worker.embed(small, opts)]);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.vectors.map(bytes)).toEqual(b.vectors.map(bytes));
    // Too long without truncation: the same error, with its input's index, from either thread.
    const long = ['short', 'word '.repeat(100)];
    for (const e of [here, worker]) {
      await expect(e.embed(long, { truncate: false })).rejects.toMatchObject({
        name: 'InputTooLongError',
        index: 1,
      });
    }
    expect(await here.embed([], opts)).toEqual({ vectors: [], tokens: [] });
  }, 60_000);

  it('a batch of many model runs lets the event loop turn between runs, with the vectors of one run', async () => {
    const cut = await start(undefined, 16); // 16 padded tokens a run: one row each
    const whole = await start();
    const texts = Array.from({ length: 24 }, (_, i) => `sentence ${i} about the weather and the sea`);
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const a = await cut.embed(texts, { truncate: true });
    counting = false;
    // A model run holds the thread that calls it (onnxruntime-node runs it synchronously); here
    // the loop ran between the runs, so a /health or an accept waits at most one run.
    expect(turns).toBeGreaterThanOrEqual(texts.length - 1);
    const b = await whole.embed(texts, { truncate: true });
    expect(a.tokens).toEqual(b.tokens);
    for (const [i, v] of a.vectors.entries()) {
      expect(Math.max(...v.map((x, d) => Math.abs(x - b.vectors[i]![d]!)))).toBeLessThan(1e-5);
    }
  }, 60_000);

  it('the service answers /health while a batch of many runs is in flight, and says where work runs', async () => {
    const s = await serve(file, { EMBEDDINGS_RUN_TOKENS: '64', EMBEDDINGS_TOKENIZE_CHARS: '2000' });
    served.push(s);
    expect(s.log()).toMatch(
      /the model runs on the main thread; requests over 2000 characters are tokenised in the worker/,
    );
    // 64 inputs of 128 tokens (tiny BERT's limit): 64 runs, the batch tokenised in the worker.
    const inputs = Array.from({ length: 64 }, (_, i) => `${'many words here '.repeat(60)}${i}`);
    let done = false;
    const heavy = call(s.socket, 'POST', '/embed', { inputs, truncate: true }).finally(() => {
      done = true;
    });
    const latencies: number[] = [];
    while (!done && latencies.length < 20) {
      latencies.push(await healthLatency(s.socket));
      await sleep(5);
    }
    const r = await heavy;
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(64);
    expect(latencies.length).toBeGreaterThanOrEqual(3); // asked while the batch ran
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
  }, 60_000);
});
