/**
 * The HNSW graphs in the service's graph worker (modules/vectors/server/graph.ts): the same answers
 * as the graph on the calling thread, through inserts, updates, deletes, filters in the walk,
 * changes held back during a graph write, a graph file written and loaded there; and a worker
 * that dies: searches get a 503 at once, /health fails, nothing hangs, and a restart has every
 * acknowledged point back, searchable.
 */
import { Agent } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { Collection, type CollectionConfig, type Hit } from '../../modules/vectors/server/collection.js';
import { parseFilter } from '../../modules/vectors/server/filter.js';
import { setGraphHost } from '../../modules/vectors/server/graph.js';
import { GraphHost } from '../../modules/vectors/server/graph-thread.js';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { bundlePerFile } from './bundle-per-file.js';
import { bridge, callSocket as call, type Served, serve } from './served.js';

const bundled = bundlePerFile();
afterAll(() => setGraphHost(undefined));

/** A pseudo-random vector per (id, version). */
const vec = (id: number, v = 0, d = 16) => {
  let seed = (id * 1009 + v * 7919 + 1) >>> 0;
  return Array.from({ length: d }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });
};

it('answers as the graph on the calling thread does, through changes, filters, a held graph and a reload', async () => {
  const lost: string[] = [];
  const host = new GraphHost(pathToFileURL(bundled.file), (why) => lost.push(why));
  const config: CollectionConfig = {
    size: 16,
    distance: 'Cosine',
    m: 8,
    efConstruct: 64,
    fullScanThreshold: 20,
  };
  const make = (h: GraphHost | undefined, name: string) => {
    setGraphHost(h);
    const c = new Collection(name, config);
    setGraphHost(undefined);
    return c;
  };
  const here = make(undefined, 'here');
  const there = make(host, 'there');
  const both = (f: (c: Collection) => void) => [here, there].forEach(f);
  const ask = async (opts: Parameters<Collection['search']>[2], k = 10) => {
    // The worker walks a search ahead of changes still queued there: the store answers a write
    // only after such a sync (Store.commit), and so does this test before it asks.
    await host.sync();
    const out: [unknown[], unknown[]][] = [];
    for (let i = 0; i < 30; i++) {
      const q = vec(10_000 + i);
      const a = here.search(q, k, opts);
      expect(a).not.toBeInstanceOf(Promise); // in process: at once
      const b = there.search(q, k, opts);
      expect(b).toBeInstanceOf(Promise); // in the worker: later
      const ids = (c: Collection, hits: Hit[]) => hits.map((h) => [c.ids[h.label], h.score]);
      out.push([ids(here, a as Hit[]), ids(there, await b)]);
    }
    for (const [a, b] of out) expect(b).toEqual(a);
    return out;
  };
  try {
    // 2,500 points: past the first capacity (1,024), so the graph grows in the worker too.
    for (let i = 0; i < 2500; i++)
      both((c) => c.upsert({ id: i, vector: vec(i), payload: { bucket: i % 10 } }, 1));
    const plain = await ask({ ef: 64 });
    expect(plain[0]![0]).toHaveLength(10);
    const filter = parseFilter({ must: [{ key: 'bucket', match: { any: [1, 2, 3] } }] });
    const filtered = await ask({ filter, ef: 64 });
    for (const [a] of filtered) for (const [id] of a as [number][]) expect([1, 2, 3]).toContain(id % 10);
    // Updates and deletes (deleted labels are reused by the next inserts).
    for (let i = 0; i < 2500; i += 3) both((c) => c.delete(i));
    for (let i = 1; i < 2500; i += 7)
      both((c) => c.upsert({ id: i, vector: vec(i, 1), payload: { bucket: 0 } }, 2));
    for (let i = 5000; i < 5400; i++)
      both((c) => c.upsert({ id: i, vector: vec(i), payload: { bucket: 4 } }, 3));
    await ask({ ef: 32 });
    await ask({ filter, ef: 128 }, 25);
    // Held as during a checkpoint's graph write: changes wait, searches score them exactly.
    both((c) => c.holdGraph());
    for (let i = 6000; i < 6100; i++)
      both((c) => c.upsert({ id: i, vector: vec(i), payload: { bucket: 1 } }, 4));
    for (let i = 1; i < 300; i += 2) both((c) => c.delete(i));
    await ask({ ef: 64 });
    await ask({ filter, ef: 64 });
    both((c) => c.releaseGraph());
    while (here.graphBusy || there.graphBusy) await new Promise((r) => setTimeout(r, 5));
    await ask({ ef: 64 });
    // A graph file written by the worker and loaded into another graph there answers the same.
    const dir = bundled.dataDir();
    await there.index.writeIndex(join(dir, 'g.hnsw'));
    setGraphHost(host);
    const copy = new Collection('copy', config, there.index.getMaxElements());
    setGraphHost(undefined);
    copy.index.load(join(dir, 'g.hnsw'), there.index.getMaxElements());
    // The load is a change: it waits in the worker's queue behind the graph's creation (run in
    // slices), where a search on that graph is walked at once. The service's start waits for
    // every checkpoint's load (graphsReady) before it serves; so does this test before it asks.
    await host.sync();
    Object.assign(copy, {
      ids: there.ids,
      payloads: there.payloads,
      vectors: there.vectors,
      byKey: there.byKey,
    });
    for (let i = 0; i < 10; i++) {
      const q = vec(20_000 + i);
      const a = (await there.search(q, 10, { ef: 64 })).map((h) => h.label);
      expect((await copy.search(q, 10, { ef: 64 })).map((h) => h.label)).toEqual(a);
    }
    copy.dispose();
    expect(lost).toEqual([]);
  } finally {
    await host.close();
  }
}, 120_000);

it('a graph worker that dies: searches 503 at once, /health fails, a restart has every point back', async () => {
  const dir = bundled.dataDir();
  // The worker ends after 5 searches (a test-only knob), as a crash of that thread would.
  const thread = { VECTORS_GRAPH_THREAD: '1' };
  let s: Served = await serve(bundled.file, dir, { ...thread, VECTORS_TEST_GRAPH_EXIT_AFTER: '5' });
  let agent = new Agent({ keepAlive: true });
  const query = (i: number, extra = {}) =>
    call(s.socket, agent, 'POST', '/collections/g/points/query', { query: vec(i), limit: 3, ...extra });
  try {
    await call(s.socket, agent, 'PUT', '/collections/g', {
      vectors: { size: 16, distance: 'Euclid' },
      hnsw_config: { m: 8, ef_construct: 32, full_scan_threshold: 10 },
    });
    const points = Array.from({ length: 300 }, (_, i) => ({ id: i, vector: vec(i) }));
    expect((await call(s.socket, agent, 'PUT', '/collections/g/points', { points })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await query(i)).status).toBe(200);
    const failed = await query(5);
    expect(failed.status).toBe(503);
    expect(failed.json.status.error).toMatch(/graph thread exited .*restart the service/);
    expect((await call(s.socket, agent, 'GET', '/health')).status).toBe(503);
    expect((await query(6)).status).toBe(503); // at once again, not waiting for a worker
    expect(s.log()).toMatch(/the graph thread exited with code 3: restart the service/);
    // Writes are still logged and answered; an exact search reads the stored vectors.
    const late = [{ id: 1000, vector: vec(1000) }];
    expect((await call(s.socket, agent, 'PUT', '/collections/g/points', { points: late })).status).toBe(200);
    const exact = await query(1000, { params: { exact: true } });
    expect(exact.status).toBe(200);
    expect(exact.json.result.points[0].id).toBe(1000);
    // SIGTERM ends it (its checkpoint cannot write the graph: exit code 1, the log keeps everything).
    agent.destroy();
    expect(await s.stop()).toBe(1);
    s = await serve(bundled.file, dir, thread);
    agent = new Agent({ keepAlive: true });
    expect((await call(s.socket, agent, 'GET', '/health')).status).toBe(200);
    const count = await call(s.socket, agent, 'POST', '/collections/g/points/count', { exact: true });
    expect(count.json.result.count).toBe(301);
    for (const id of [0, 150, 299, 1000]) {
      const r = await query(id, { limit: 1, params: { hnsw_ef: 64 } });
      expect(r.status).toBe(200);
      expect(r.json.result.points[0].id).toBe(id);
    }
  } finally {
    agent.destroy();
    await s.kill();
  }
}, 120_000);

it('an uploaded snapshot with graph parameters out of range is a 400, its recorded capacity not taken', async () => {
  const dir = bundled.dataDir();
  const s = await serve(bundled.file, dir, { VECTORS_GRAPH_THREAD: '1' });
  const br = await bridge(s.socket);
  const agent = new Agent({ keepAlive: true });
  const upload = (name: string, config: object, capacity: number) => {
    const image = {
      name,
      config: { size: 2, distance: 'Euclid', m: 16, efConstruct: 100, fullScanThreshold: 0, ...config },
      payloadSchema: {},
      capacity,
      ids: [1, 2],
      payloads: [undefined, undefined],
      versions: [1, 1],
      vectors: Float32Array.of(1, 2, 3, 4),
    } as unknown as Parameters<typeof collectionFileParts>[0];
    const form = new FormData();
    form.append(
      'snapshot',
      new Blob([Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined))]),
    );
    return fetch(`${br.url}/collections/${name}/snapshots/upload`, { method: 'POST', body: form });
  };
  try {
    // These would reach hnswlib in the graph worker, whose refusal would end the thread.
    for (const config of [{ m: 100_000 }, { efConstruct: 0 }, { m: 2.5 }]) {
      const r = await upload('bad', config, 1024);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ status: { error: /the snapshot cannot be read/ } });
    }
    // 2^40 points recorded: the graph is built from the file's 2 points and grows as needed.
    expect((await upload('huge', {}, 2 ** 40)).status).toBe(200);
    const r = await call(s.socket, agent, 'POST', '/collections/huge/points/query', {
      query: [3, 4],
      limit: 1,
    });
    expect(r.json.result.points[0].id).toBe(2);
    expect((await call(s.socket, agent, 'GET', '/health')).status).toBe(200);
  } finally {
    agent.destroy();
    await br.close();
    await s.kill();
  }
}, 60_000);

it('searches are walked between the slices of a large upsert’s inserts, which a search after its answer sees', async () => {
  const dir = bundled.dataDir();
  const s = await serve(bundled.file, dir, { VECTORS_GRAPH_THREAD: '1' });
  const agent = new Agent({ keepAlive: true });
  const side = new Agent({ keepAlive: true });
  try {
    await call(s.socket, agent, 'PUT', '/collections/a', {
      vectors: { size: 16, distance: 'Euclid' },
      hnsw_config: { m: 8, ef_construct: 32, full_scan_threshold: 10 },
    });
    const small = Array.from({ length: 300 }, (_, i) => ({ id: i, vector: vec(i) }));
    await call(s.socket, agent, 'PUT', '/collections/a/points', { points: small });
    await call(s.socket, agent, 'PUT', '/collections/b', {
      vectors: { size: 128, distance: 'Euclid' },
      hnsw_config: { m: 32, ef_construct: 400, full_scan_threshold: 10 },
    });
    // ~12 MB: parsed in the body worker, then 5,000 inserts (seconds) in the graph worker.
    const big = Array.from({ length: 5000 }, (_, i) => ({ id: i, vector: vec(i, 0, 128) }));
    const parsed = async () =>
      (await call(s.socket, side, 'GET', '/telemetry')).json.result.requests.bodies_parsed_off_loop as number;
    const before = await parsed();
    let answered = false;
    const upsert = call(s.socket, agent, 'PUT', '/collections/b/points', { points: big }).then((r) => {
      answered = true;
      return r;
    });
    let during = 0; // searches answered after the parse, before the upsert's answer
    while (!answered) {
      const afterParse = (await parsed()) > before;
      const r = await call(s.socket, side, 'POST', '/collections/a/points/query', {
        query: vec(7),
        limit: 1,
      });
      expect(r.json.result.points[0].id).toBe(7);
      if (afterParse && !answered) during++;
    }
    expect((await upsert).status).toBe(200);
    expect(during).toBeGreaterThanOrEqual(3);
    const last = await call(s.socket, agent, 'POST', '/collections/b/points/query', {
      query: vec(4999, 0, 128),
      limit: 1,
      params: { hnsw_ef: 64 },
    });
    expect(last.json.result.points[0].id).toBe(4999);
    const t = (await call(s.socket, agent, 'GET', '/telemetry')).json.result.collections.collections;
    expect(t.find((c: { id: string }) => c.id === 'b').searches.hnsw).toBeGreaterThanOrEqual(1);
  } finally {
    agent.destroy();
    side.destroy();
    await s.kill();
  }
}, 120_000);
