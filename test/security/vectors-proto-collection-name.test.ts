/**
 * Collection names are the client's text, and "__proto__", "constructor" and "toString" are
 * allowed names (Qdrant takes them too). Kept in a plain object keyed by name, an assignment
 * `collections["__proto__"] = …` sets that object's prototype instead of adding the entry, and
 * JSON leaves it out: the checkpoint written at stop would not hold the collection, and its
 * points would be lost at the next start. Real bundle, real process, stop and start again.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropTempDir } from '../setup/temp-registry.js';
import { bundle, callSocket as call, newDataDir, type Served, serve } from '../vectors/served.js';

let file = '';
let dataDir = '';
let served: Served | undefined;
const agent = new Agent({ keepAlive: true });
beforeAll(async () => {
  file = await bundle();
  dataDir = newDataDir();
}, 120_000);
afterAll(async () => {
  await served?.stop();
  agent.destroy();
  if (dataDir) dropTempDir(dataDir);
});

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

it('collections named like Object.prototype keys keep their points across a stop and a start', async () => {
  served = await serve(file, dataDir);
  for (const [i, name] of NAMES.entries()) {
    const made = await call(served.socket, agent, 'PUT', `/collections/${name}`, {
      vectors: { size: 2, distance: 'Dot' },
    });
    expect(made.status).toBe(200);
    const up = await call(served.socket, agent, 'PUT', `/collections/${name}/points?wait=true`, {
      points: [
        { id: 1, vector: [1, i], payload: { name } },
        { id: 2, vector: [i, 1] },
      ],
    });
    expect(up.status).toBe(200);
  }
  // A payload field of that name with an index: the index is listed, and kept, too.
  const index = await call(served.socket, agent, 'PUT', '/collections/constructor/index?wait=true', {
    field_name: '__proto__',
    field_schema: 'keyword',
  });
  expect(index.status).toBe(200);
  await served.stop();
  served = await serve(file, dataDir);
  const info = await call(served.socket, agent, 'GET', '/collections/constructor');
  expect(Object.keys(info.json.result.payload_schema)).toEqual(['__proto__']);
  const listed = await call(served.socket, agent, 'GET', '/collections');
  expect(
    (listed.json as { result: { collections: { name: string }[] } }).result.collections
      .map((c) => c.name)
      .sort(),
  ).toEqual([...NAMES].sort());
  for (const name of NAMES) {
    const counted = await call(served.socket, agent, 'POST', `/collections/${name}/points/count`, {
      exact: true,
    });
    expect(counted.status).toBe(200);
    expect((counted.json as { result: { count: number } }).result.count).toBe(2);
    const got = await call(served.socket, agent, 'GET', `/collections/${name}/points/1`);
    expect((got.json as { result: { payload: unknown } }).result.payload).toEqual({ name });
  }
}, 120_000);
