/**
 * A collection's info (GET /collections/{c}, which LangChain and LlamaIndex ask for) gives, for each
 * payload index, the number of points that have its field: it was counted by reading every payload
 * once per index, on the event loop, at every request. A client that made many indexes (nothing
 * bounds their number) turned each info request into a long scan with /health waiting. Now each
 * index keeps its count as payloads change, and the info reads it.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

const N = 40_000;
const FIELDS = 100;
let s: Served;
let dataDir: string;
const agent = new Agent({ keepAlive: true });
const call = (method: string, path: string, body?: unknown) =>
  callSocket(s.socket, agent, method, path, body);

beforeAll(async () => {
  dataDir = newDataDir();
  s = await serve(await bundle(), dataDir);
  await call('PUT', '/collections/info', { vectors: { size: 2, distance: 'Dot' } });
  for (let at = 0; at < N; at += 5000)
    await call('PUT', '/collections/info/points', {
      points: Array.from({ length: 5000 }, (_, j) => ({
        id: at + j,
        vector: [1, 0],
        payload: { n: at + j, ...(j % 2 ? { f7: 'x', f8: [1, 2] } : {}) },
      })),
    });
  for (let f = 0; f < FIELDS; f++)
    await call('PUT', '/collections/info/index', { field_name: `f${f}`, field_schema: 'keyword' });
}, 300_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

it('the info of a collection with 100 payload indexes is answered at once, with the counts', async () => {
  const t = Date.now();
  const info = await call('GET', '/collections/info');
  const ms = Date.now() - t;
  expect(info.status).toBe(200);
  const schema = info.json.result.payload_schema;
  expect(Object.keys(schema)).toHaveLength(FIELDS);
  expect(schema.f7.points).toBe(N / 2);
  expect(schema.f8.points).toBe(N / 2);
  expect(schema.f0.points).toBe(0);
  // Not a speed figure: the scan took ~1,070 ms on a quiet machine (longer on a loaded one), the
  // kept counts a few ms; the bound leaves a loaded CI machine room without letting the scan pass.
  expect(ms).toBeLessThan(500);
  // The counts follow changes: a payload without f7, a point deleted, one added with it.
  await call('POST', '/collections/info/points/payload', { payload: { f9: 1 }, points: [1] }); // keeps f7
  await call('POST', '/collections/info/points/payload/clear', { points: [3] });
  await call('POST', '/collections/info/points/delete', { points: [5] });
  await call('PUT', '/collections/info/points', {
    points: [{ id: N, vector: [1, 0], payload: { f7: 'y' } }],
  });
  const after = (await call('GET', '/collections/info')).json.result.payload_schema;
  expect(after.f7.points).toBe(N / 2 - 2 + 1);
  expect(after.f9.points).toBe(1);
  // The same after a restart (the indexes rebuilt from the checkpoint and the log).
  await s.stop();
  agent.destroy();
  s = await serve(await bundle(), dataDir);
  const again = (await callSocket(s.socket, new Agent(), 'GET', '/collections/info')).json.result
    .payload_schema;
  expect(again.f7.points).toBe(N / 2 - 2 + 1);
  expect(again.f9.points).toBe(1);
}, 120_000);
