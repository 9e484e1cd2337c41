/**
 * One request to the vectors module must not ask for an answer larger than the service can build:
 * the answer is built in the main thread's heap (JS objects, then one JSON text), and running out
 * of heap is a fatal error, the whole service gone, not a 4xx. A batch of searches had no bound
 * on how many it held (a 32 MiB body holds ~1M of `{"vector":[1],"limit":1000}`), each answering up
 * to `limit` points; the service here runs with a 256 MiB heap, standing in for the container's
 * memory limit, so that the bound can be seen without using gigabytes of the test machine.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

function send(socket: string, path: string, text: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(text);
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(data);
  });
}

let s: Served;
const agent = new Agent({ keepAlive: true });
beforeAll(async () => {
  s = await serve(await bundle(), newDataDir(), { NODE_OPTIONS: '--max-old-space-size=256' });
  await callSocket(s.socket, agent, 'PUT', '/collections/c', { vectors: { size: 64, distance: 'Dot' } });
  const points = Array.from({ length: 2000 }, (_, i) => ({
    id: i,
    vector: Array.from({ length: 64 }, (_, j) => Math.sin(i + j)),
    payload: { n: i },
  }));
  expect((await callSocket(s.socket, agent, 'PUT', '/collections/c/points', { points })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

const alive = async () => (await callSocket(s.socket, agent, 'GET', '/health')).status;

describe('answers larger than the service can build are a 400, and it keeps serving', () => {
  // 1,000 searches (the most a batch holds) for all 2,000 points: 2M answer points. Before the
  // bounds, 20,000 such searches (a 4 MB body) ended the service.
  it('a batch of 1,000 searches, each for all 2,000 points: 400, /health 200 after', async () => {
    const one = '{"vector":[' + Array(64).fill(1).join(',') + '],"limit":2000,"with_payload":true}';
    const r = await send(
      s.socket,
      '/collections/c/points/search/batch',
      `{"searches":[${Array(1_000).fill(one).join(',')}]}`,
    );
    expect([r.status, r.text.slice(0, 200)]).toEqual([400, expect.stringMatching(/points .*at most 100000/)]);
    expect(await alive()).toBe(200);
  }, 120_000);

  it('the same as a query batch: 400', async () => {
    const one = '{"query":[' + Array(64).fill(1).join(',') + '],"limit":2000}';
    const r = await send(
      s.socket,
      '/collections/c/points/query/batch',
      `{"searches":[${Array(20_000).fill(one).join(',')}]}`,
    );
    expect(r.status).toBe(400);
    expect(await alive()).toBe(200);
  }, 120_000);

  it('vectors: a search, a scroll or a retrieve whose answer holds more than 8M vector numbers: 400', async () => {
    await callSocket(s.socket, agent, 'PUT', '/collections/wide', {
      vectors: { size: 4096, distance: 'Dot' },
    });
    const v = Array(4096).fill(0.5);
    for (let k = 0; k < 3; k++) {
      const points = Array.from({ length: 1000 }, (_, i) => ({ id: k * 1000 + i, vector: v }));
      expect((await callSocket(s.socket, agent, 'PUT', '/collections/wide/points', { points })).status).toBe(
        200,
      );
    }
    // 3,000 points of 4,096 numbers: 12.3M numbers, ~100 MB of doubles before the JSON text.
    const q = `{"vector":[${v.join(',')}],"limit":3000,"with_vector":true}`;
    expect((await send(s.socket, '/collections/wide/points/search', q)).status).toBe(400);
    expect(
      (await send(s.socket, '/collections/wide/points/scroll', '{"limit":3000,"with_vector":true}')).status,
    ).toBe(400);
    const ids = JSON.stringify(Array.from({ length: 2500 }, (_, i) => i));
    expect(
      (await send(s.socket, '/collections/wide/points', `{"ids":${ids},"with_vector":true}`)).status,
    ).toBe(400);
    // Within the bound: answered, vectors included.
    const ok = await send(s.socket, '/collections/wide/points/scroll', '{"limit":1000,"with_vector":true}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).result.points[999].vector).toHaveLength(4096);
    expect(await alive()).toBe(200);
  }, 120_000);

  it('a retrieve of one id repeated 200,000 times (400 KB): 400', async () => {
    const r = await send(s.socket, '/collections/c/points', `{"ids":[${Array(200_000).fill(1).join(',')}]}`);
    expect(r.status).toBe(400);
    expect(await alive()).toBe(200);
  }, 60_000);

  it('a batch of 20,000 searches for one point each: 400 at once, /health answered meanwhile', async () => {
    const one = `{"vector":[${Array(64).fill(1).join(',')}],"limit":1}`;
    const started = Date.now();
    const batch = send(
      s.socket,
      '/collections/c/points/search/batch',
      `{"searches":[${Array(20_000).fill(one).join(',')}]}`,
    );
    await new Promise((r) => setTimeout(r, 300)); // the body is in and being worked on
    const t = Date.now();
    expect(await alive()).toBe(200);
    const healthMs = Date.now() - t;
    const r = await batch;
    expect([r.status, r.text.slice(0, 200)]).toEqual([
      400,
      expect.stringMatching(/20000 searches; at most 1000/),
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(healthMs).toBeLessThan(1_000);
  }, 120_000);

  it("a batch's filters share one bound of 1,000 conditions: 10 searches of 200 each is a 400", async () => {
    const filter = { should: Array(200).fill({ key: 'n', match: { value: 1 } }) };
    const one = JSON.stringify({ vector: Array(64).fill(1), limit: 1, filter });
    const r = await send(
      s.socket,
      '/collections/c/points/search/batch',
      `{"searches":[${Array(10).fill(one).join(',')}]}`,
    );
    expect([r.status, r.text.slice(0, 200)]).toEqual([400, expect.stringMatching(/too many conditions/)]);
  }, 60_000);

  it('a batch within the bound is answered as before', async () => {
    const one = '{"vector":[' + Array(64).fill(1).join(',') + '],"limit":10}';
    const r = await send(
      s.socket,
      '/collections/c/points/search/batch',
      `{"searches":[${Array(100).fill(one).join(',')}]}`,
    );
    expect(r.status).toBe(200);
    const result = JSON.parse(r.text).result as unknown[][];
    expect(result).toHaveLength(100);
    expect(result[0]).toHaveLength(10);
  }, 60_000);
});
