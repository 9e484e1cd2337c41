/**
 * A payload array is flattened into the values at its key (filter.ts valuesAt), for a filter and
 * for a payload index. It was pushed as spread arguments (`push(...array)`), which throws past
 * ~125k elements ("Maximum call stack size exceeded"): one upsert of a point whose indexed field
 * held an array of 200,000 numbers (1.3 MB, within the body limit) was logged, then failed while
 * it was applied (a 500), and every later start replayed it and failed the same way: the service
 * did not start again. Now the values are appended in a loop.
 */
import { Agent } from 'node:http';
import { expect, it } from 'vitest';
import { bundle, callSocket, newDataDir, serve } from '../vectors/served.js';

it('a 200,000-element array on an indexed field: stored, indexed, found, and the service starts again', async () => {
  const dataDir = newDataDir();
  const file = await bundle();
  const s = await serve(file, dataDir);
  const agent = new Agent({ keepAlive: true });
  await callSocket(s.socket, agent, 'PUT', '/collections/a', { vectors: { size: 2, distance: 'Dot' } });
  await callSocket(s.socket, agent, 'PUT', '/collections/a/index', {
    field_name: 'tags',
    field_schema: 'integer',
  });
  const tags = Array.from({ length: 200_000 }, (_, i) => i);
  const up = await callSocket(s.socket, agent, 'PUT', '/collections/a/points?wait=true', {
    points: [{ id: 1, vector: [1, 0], payload: { tags } }],
  });
  expect(up.status).toBe(200);
  const filter = { must: [{ key: 'tags', match: { value: 199_999 } }] };
  const found = await callSocket(s.socket, agent, 'POST', '/collections/a/points/count', { filter });
  expect(found.json.result.count).toBe(1);
  agent.destroy();
  await s.kill(); // the upsert is in the log only: the next start replays it
  const again = await serve(file, dataDir);
  try {
    const count = await callSocket(again.socket, new Agent(), 'POST', '/collections/a/points/count', {
      filter,
    });
    expect(count.json.result.count).toBe(1);
  } finally {
    await again.kill();
  }
}, 120_000);
