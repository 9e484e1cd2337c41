/**
 * Parts of a vectors request that ran within one turn of the event loop, looked at only against
 * the request's deadline (VECTORS_MAX_TIMEOUT_S, 10 s by default): the unions of indexed values a
 * filter's hints select (and their intersection), and maximal marginal relevance's selection. With
 * hostile but allowed input (1,000 `must` ranges over an indexed field that every point matches;
 * mmr over 16,384 candidates) each ran until the deadline (measured in process without it: 65 s
 * for the unions over 40,000 points, 54 s for the selection at 16 dimensions), /health unanswered
 * the whole time. Now they run in the request's 20 ms slices (deadline.ts), as the scans do.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

const N = 16_384;
const D = 16;
let s: Served;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  s = await serve(await bundle(), newDataDir(), { VECTORS_MAX_TIMEOUT_S: '4' });
  await callSocket(s.socket, agent, 'PUT', '/collections/big', {
    vectors: { size: D, distance: 'Cosine' },
    hnsw_config: { m: 4, ef_construct: 4 },
  });
  await callSocket(s.socket, agent, 'PUT', '/collections/big/index', {
    field_name: 'n',
    field_schema: 'integer',
  });
  for (let at = 0; at < N; at += 2048) {
    const points = Array.from({ length: 2048 }, (_, j) => ({
      id: at + j,
      vector: Array.from({ length: D }, (_, k) => Math.sin((at + j) * 7 + k)),
      payload: { n: at + j },
    }));
    const r = await callSocket(s.socket, agent, 'PUT', '/collections/big/points?wait=true', { points });
    expect(r.status).toBe(200);
  }
}, 300_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

/**
 * Sends the hostile request, then /health 300 ms later (both on fresh connections); whether
 * /health was answered while the hostile request was still running, and its answer.
 */
async function healthDuring(path: string, body: unknown) {
  let hostileDone = false;
  const hostile = callSocket(s.socket, new Agent(), 'POST', path, body).then((r) => {
    hostileDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 300));
  const health = await callSocket(s.socket, new Agent(), 'GET', '/health');
  const healthFirst = !hostileDone;
  return { health: health.status, healthFirst, hostile: await hostile };
}

describe('the event loop turns within a hostile request', () => {
  it('1,000 unions of indexed values (and their intersection): /health is answered meanwhile', async () => {
    const filter = { must: Array.from({ length: 1000 }, () => ({ key: 'n', range: { gte: 0 } })) };
    const r = await healthDuring('/collections/big/points/count', { filter, exact: true });
    expect(r.health).toBe(200);
    expect(r.healthFirst).toBe(true);
    expect(r.hostile.status).toBe(408); // the deadline still ends it
    expect(r.hostile.json.status.error).toMatch(/^Timeout error/);
    // The same kind of filter, small enough: the count is right (every point matches).
    const few = { must: Array.from({ length: 3 }, () => ({ key: 'n', range: { gte: N / 2 } })) };
    const ok = await callSocket(s.socket, agent, 'POST', '/collections/big/points/count', { filter: few });
    expect(ok.json.result.count).toBe(N / 2);
  }, 120_000);

  it("mmr's selection over 16,384 candidates: /health is answered meanwhile", async () => {
    const query = {
      nearest: Array.from({ length: D }, (_, k) => Math.cos(k)),
      mmr: { diversity: 0.5, candidates_limit: N },
    };
    const r = await healthDuring('/collections/big/points/query', {
      query,
      limit: N,
      params: { exact: true },
    });
    expect(r.health).toBe(200);
    expect(r.healthFirst).toBe(true);
    expect(r.hostile.status).toBe(408);
    // A small selection still answers, in MMR's order: the nearest point first.
    const small = await callSocket(s.socket, agent, 'POST', '/collections/big/points/query', {
      query: { ...query, mmr: { diversity: 0.5, candidates_limit: 50 } },
      limit: 5,
      params: { exact: true },
    });
    const plain = await callSocket(s.socket, agent, 'POST', '/collections/big/points/query', {
      query: query.nearest,
      limit: 1,
      params: { exact: true },
    });
    expect(small.status).toBe(200);
    expect(small.json.result.points).toHaveLength(5);
    expect(small.json.result.points[0].id).toBe(plain.json.result.points[0].id);
  }, 120_000);
});
