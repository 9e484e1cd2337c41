/**
 * While a checkpoint writes a collection's HNSW graph (hnswlib reads it in its own thread and must
 * take no change then), writes are applied and answered at once; the graph takes them after the
 * write, and searches meanwhile leave the changed points out of the graph walk and score them
 * exactly. The graph write is stretched (VECTORS_TEST_GRAPH_PAUSE_MS, a test-only knob) so that
 * requests can be seen answered inside it: /telemetry shows the same checkpoint in its `graphs`
 * phase before the request and after its answer. Before, a write sent then was answered only once
 * every graph was written.
 */
import { Agent } from 'node:http';
import { expect, it } from 'vitest';
import { bundlePerFile, vec } from './bundle-per-file.js';
import { callSocket as call, type Served, serve } from './served.js';

const bundled = bundlePerFile();

it('writes during the graph write are answered at once, found by searches then, and in the graph after', async () => {
  const dir = bundled.dataDir();
  const env = { VECTORS_CHECKPOINT_SECONDS: '1', VECTORS_TEST_GRAPH_PAUSE_MS: '4000' };
  let s: Served = await serve(bundled.file, dir, env);
  let agent = new Agent({ keepAlive: true });
  const N = 2000;
  try {
    await call(s.socket, agent, 'PUT', '/collections/g', {
      vectors: { size: 32, distance: 'Euclid' },
      // Over the full-scan threshold: searches walk the graph.
      hnsw_config: { m: 8, ef_construct: 64, full_scan_threshold: 100 },
    });
    for (let i = 0; i < N; i += 500) {
      const points = Array.from({ length: 500 }, (_, j) => ({ id: i + j, vector: vec(i + j) }));
      expect((await call(s.socket, agent, 'PUT', '/collections/g/points', { points })).status).toBe(200);
    }
    const checkpoint = async () => (await call(s.socket, agent, 'GET', '/telemetry')).json.result.checkpoint;
    const hnswSearches = async () =>
      (await call(s.socket, agent, 'GET', '/telemetry')).json.result.collections.collections[0].searches.hnsw;
    const nearest = async (v: number[], limit = 1) =>
      (
        await call(s.socket, agent, 'POST', '/collections/g/points/query', {
          query: v,
          limit,
          params: { hnsw_ef: 256 },
        })
      ).json.result.points.map((p: { id: number }) => p.id);

    // The periodic checkpoint (1 s) starts; wait for its graph write.
    let a = await checkpoint();
    const deadline = Date.now() + 60_000;
    while (!(a.running && a.phase === 'graphs')) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 10));
      a = await checkpoint();
    }
    const searchesBefore = await hnswSearches();
    // A new point, an update and a delete, each answered inside the graph write.
    const put = (points: unknown) => call(s.socket, agent, 'PUT', '/collections/g/points', { points });
    expect((await put([{ id: 5000, vector: vec(5000) }])).status).toBe(200);
    expect((await put([{ id: 7, vector: vec(7, 1) }])).status).toBe(200);
    expect(
      (await call(s.socket, agent, 'POST', '/collections/g/points/delete', { points: [8] })).status,
    ).toBe(200);
    // Searches then find the changes (scored exactly beside the graph walk).
    expect(await nearest(vec(5000))).toEqual([5000]);
    expect(await nearest(vec(7, 1))).toEqual([7]);
    expect(await nearest(vec(8), 5)).not.toContain(8);
    const b = await checkpoint();
    expect([b.running, b.phase, b.started]).toEqual([true, 'graphs', a.started]);
    expect((await hnswSearches()) - searchesBefore).toBe(3);

    // After the checkpoint the graph holds them.
    while ((await checkpoint()).running) await new Promise((r) => setTimeout(r, 50));
    expect(await nearest(vec(5000))).toEqual([5000]);
    expect(await nearest(vec(7, 1))).toEqual([7]);
    expect(await nearest(vec(8), 5)).not.toContain(8);

    // And after a crash: the checkpoint (without them) plus the log (with them).
    agent.destroy();
    await s.kill();
    s = await serve(bundled.file, dir, { VECTORS_CHECKPOINT_SECONDS: '3600' });
    agent = new Agent({ keepAlive: true });
    expect((await call(s.socket, agent, 'POST', '/collections/g/points/count', {})).json.result.count).toBe(
      N,
    );
    expect(await nearest(vec(5000))).toEqual([5000]);
    expect(await nearest(vec(7, 1))).toEqual([7]);
    expect(await nearest(vec(8), 5)).not.toContain(8);
    // A point untouched all along is found by its vector too.
    expect(await nearest(vec(1234))).toEqual([1234]);
  } finally {
    agent.destroy();
    await s.stop();
  }
}, 180_000);
