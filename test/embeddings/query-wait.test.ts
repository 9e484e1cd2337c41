/**
 * Issue 17: a short single query goes to the worker while the main thread waits for its answer in
 * `Atomics.wait` (the worker writes the vector into shared memory), so the answer needs no message
 * and no event-loop turn; the wait is bounded, after which the query is answered through the
 * message like any job and the event loop (/health) runs again.
 */
import { describe, expect, it } from 'vitest';
import type { EngineWorker } from '../../modules/embeddings/server/engine-worker.js';
import { engineWorkers } from './engine-workers.js';
import { serve } from './served.js';

const workers = engineWorkers();
const start = (waitMs: number) => workers.start(0, 0, waitMs);

const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const opts = { truncate: true, normalize: true };
const query = ['which planet has the most moons'];

/** Embeds and tells whether the event loop turned (a setImmediate ran) before the answer came. */
async function embedNoting(e: EngineWorker, texts: string[]) {
  let turned = false;
  const immediate = setImmediate(() => {
    turned = true;
  });
  const out = await e.embed(texts, opts);
  clearImmediate(immediate);
  return { out, turned };
}

describe('a single query waited for in shared memory', () => {
  it('is answered without an event-loop turn, the same vector bit for bit as through the message', async () => {
    const waiting = await start(60_000);
    const message = await start(0);
    const a = await embedNoting(waiting, query);
    const b = { out: await message.embed(query, opts) };
    expect(waiting.queryWaits).toEqual({ waited: 1, gaveUp: 0 });
    expect(message.queryWaits).toEqual({ waited: 0, gaveUp: 0 });
    expect(a.turned).toBe(false); // the main thread waited: no turn of its loop before the answer
    expect(a.out.tokens).toEqual(b.out.tokens);
    expect(a.out.vectors.map(bytes)).toEqual(b.out.vectors.map(bytes));
    // Batches are not waited for. (Its answer also means the worker's message for the query has
    // been read: until then a query is not waited for, the worker not yet free for it.)
    await waiting.embed([...query, ...query], opts);
    expect(waiting.queryWaits).toEqual({ waited: 1, gaveUp: 0 });
    // A second query overwrites the shared vector: the first answer is a copy and stays as it was.
    const first = bytes(a.out.vectors[0]!).toString('hex');
    await waiting.embed(['stock prices fell sharply today'], opts);
    expect(bytes(a.out.vectors[0]!).toString('hex')).toBe(first);
    expect(waiting.queryWaits).toEqual({ waited: 2, gaveUp: 0 });
    // A refusal (too long, no truncation) is the same error as through the message.
    const long = ['word '.repeat(100)];
    await expect(waiting.embed(long, { truncate: false })).rejects.toMatchObject({
      name: 'InputTooLongError',
    });
  }, 60_000);

  it("posts the query's message before it wakes the main thread: one event-loop turn later the worker is free and the next query is waited for too", async () => {
    // The message is what frees the worker for the next waited query (`held`). Posted after the
    // wake-up, it came as the main thread had gone back to sleep (a second wake-up a query, while
    // rag's next hop wanted the CPU), or not yet one turn later: then the next query went through
    // the message instead of the wait. Now posted first, read in the turn after the answer.
    const waiting = await start(60_000);
    for (let i = 0; i < 20; i++) {
      await waiting.embed([`which planet has the most moons, asked for the ${i}th time`], opts);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(waiting.queryWaits).toEqual({ waited: 20, gaveUp: 0 });
  }, 60_000);

  it('waits at most its bound: a query behind a long batch goes back to the event loop, answered by message', async () => {
    const waiting = await start(40);
    const reference = (await start(0)).embed(query, opts);
    // 64 inputs of 512 tokens keep the worker busy far longer than 40 ms.
    const big = Array.from({ length: 64 }, (_, i) => `${'many words here '.repeat(400)}${i}`);
    const batch = waiting.embed(big, opts);
    const q = await embedNoting(waiting, query);
    expect(waiting.queryWaits).toEqual({ waited: 0, gaveUp: 1 });
    expect(q.turned).toBe(true); // the event loop ran again while the query was still to come
    expect((await batch).vectors).toHaveLength(64);
    expect(q.out.vectors.map(bytes)).toEqual((await reference).vectors.map(bytes));
    // Once the worker is free again (the batch's and the query's messages read), the next query is waited for.
    await waiting.embed(query, opts);
    expect(waiting.queryWaits).toEqual({ waited: 1, gaveUp: 1 });
  }, 60_000);

  it('the service waits 30 ms by default, as long as EMBEDDINGS_QUERY_WAIT_MS says, or not at all when off', async () => {
    const dflt = await serve(workers.file);
    const set = await serve(workers.file, { EMBEDDINGS_QUERY_WAIT_MS: '7' });
    const off = await serve(workers.file, { EMBEDDINGS_QUERY_WAIT_MS: 'off' });
    try {
      expect(dflt.log()).toMatch(/the main thread waits up to 30 ms for the worker's answer/);
      expect(set.log()).toMatch(/the main thread waits up to 7 ms for the worker's answer/);
      expect(off.log()).not.toMatch(/waits up to/);
    } finally {
      await Promise.all([dflt.stop(), set.stop(), off.stop()]);
    }
  }, 60_000);

  it('refuses a wait longer than the health check allows: the event loop would stall that long', async () => {
    // The main thread is blocked while it waits; the services layer gives /health 2 s.
    await expect(serve(workers.file, { EMBEDDINGS_QUERY_WAIT_MS: '5000' })).rejects.toThrow(
      /EMBEDDINGS_QUERY_WAIT_MS=5000 is more than 1000 ms.*set at most 1000, or off/,
    );
    const most = await serve(workers.file, { EMBEDDINGS_QUERY_WAIT_MS: '1000' });
    try {
      expect(most.log()).toMatch(/the main thread waits up to 1000 ms for the worker's answer/);
    } finally {
      await most.stop();
    }
  }, 60_000);
});
