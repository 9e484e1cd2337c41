/**
 * The search vector as base64 float32s (`x-vector-encoding: float32-base64`, modules/vectors/README.md
 * "A faster encoding for our own clients"): the same hits as the numbers, the same checks (length,
 * finite numbers, canonical base64), and without the header a string is still a point id.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, type Served, serve } from './served.js';

let served: Served;
const DIM = 8;
const enc = { 'x-vector-encoding': 'float32-base64' };
const b64 = (v: number[]) => Buffer.from(new Float32Array(v).buffer).toString('base64');

const agent = new Agent({ keepAlive: true });
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  callSocket(served.socket, agent, method, path, body, headers);

// Values float32 cannot hold exactly: the numbers path and the base64 path must agree bit for bit.
const point = (i: number) => Array.from({ length: DIM }, (_, d) => Math.sin(i * 7.1 + d * 1.3) / 3);
const query = Array.from(new Float32Array(Array.from({ length: DIM }, (_, d) => Math.cos(d * 0.7) / 7)));

beforeAll(async () => {
  served = await serve(await bundle(), newDataDir());
  expect((await call('PUT', '/collections/c', { vectors: { size: DIM, distance: 'Cosine' } })).status).toBe(
    200,
  );
  const points = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, vector: point(i), payload: { i } }));
  expect((await call('PUT', '/collections/c/points?wait=true', { points })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await served?.stop();
});

describe('x-vector-encoding: float32-base64', () => {
  it('finds the same points with the same scores as the numbers, in search, query and their batches', async () => {
    const plain = await call('POST', '/collections/c/points/search', { vector: query, limit: 5 });
    expect(plain.status).toBe(200);
    const coded = await call('POST', '/collections/c/points/search', { vector: b64(query), limit: 5 }, enc);
    expect(coded.status).toBe(200);
    expect(coded.json.result).toEqual(plain.json.result);
    const q = await call(
      'POST',
      '/collections/c/points/query',
      { query: { nearest: b64(query) }, limit: 5 },
      enc,
    );
    expect(q.status).toBe(200);
    expect((q.json.result as { points: unknown }).points).toEqual(plain.json.result);
    const batch = await call(
      'POST',
      '/collections/c/points/search/batch',
      {
        searches: [
          { vector: b64(query), limit: 5 },
          { vector: b64(point(3)), limit: 1 },
        ],
      },
      enc,
    );
    expect(batch.status).toBe(200);
    expect((batch.json.result as unknown[])[0]).toEqual(plain.json.result);
    expect((batch.json.result as { id: number }[][])[1]![0]!.id).toBe(4);
  });

  it('refuses a vector of another length, non-finite numbers, text that is not canonical base64, and an unknown encoding', async () => {
    const search = (vector: unknown, headers = enc) =>
      call('POST', '/collections/c/points/search', { vector, limit: 1 }, headers);
    const refused = async (vector: unknown, what: RegExp, headers = enc) => {
      const r = await search(vector, headers);
      expect(r.status, JSON.stringify(vector).slice(0, 60)).toBe(400);
      expect(r.json.status?.error).toMatch(what);
    };
    await refused(b64(query.slice(1)), /dimension/);
    await refused(b64([...query, 1]), /dimension/);
    await refused(b64([Number.NaN, ...query.slice(1)]), /finite/);
    await refused(b64([Number.POSITIVE_INFINITY, ...query.slice(1)]), /finite/);
    const text = b64(query);
    await refused(`${text.slice(0, -4)}!!!!`, /base64/);
    // URL-safe base64 ('-' for '+'): Buffer reads it, but it is not the text the module sends.
    await refused(`-${text.slice(1)}`, /base64/);
    await refused(query, /base64/);
    await refused(b64(query), /x-vector-encoding/, { 'x-vector-encoding': 'float64' });
  });

  it("leaves Qdrant's API as it was without the header: a string is a point id", async () => {
    const r = await call('POST', '/collections/c/points/search', { vector: b64(query), limit: 1 });
    expect(r.status).toBe(400);
    const byId = await call('POST', '/collections/c/points/query', { query: 4, limit: 1 });
    expect(byId.status).toBe(200);
    // The point's nearest others: Qdrant leaves the point itself out (qdrant-semantics.test.ts).
    const hits = (byId.json.result as { points: { id: number }[] }).points;
    expect(hits).toHaveLength(1);
    expect(hits[0]!.id).not.toBe(4);
  });
});
