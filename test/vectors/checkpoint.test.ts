/**
 * Checkpoints do not hold the event loop, and a crash at any point of one loses nothing.
 *
 * The first test asserts order, not time: a request counts as answered "during" a checkpoint when
 * /telemetry reported that same checkpoint writing its files just before the request was sent and
 * still writing just after its answer came. A checkpoint written in one turn of the event loop
 * (as before) can never be seen that way. The second kills the process (by itself, at named points
 * of a checkpoint: VECTORS_CRASH_AT) while writers stream upserts, updates and deletes, and checks
 * after each restart that every acknowledged change is there and the HNSW graph loaded from the
 * checkpoint agrees with the stored points.
 */
import { readdirSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Collection } from '../../modules/vectors/server/collection.js';
import { captureCollection, collectionFileParts } from '../../modules/vectors/server/persist.js';
import { bufferSource, loadCheckpoint } from '../../modules/vectors/server/snapshot-build.js';
import { bundlePerFile, vec } from './bundle-per-file.js';
import { callSocket as call, type Served, serve } from './served.js';

const bundled = bundlePerFile();
const dataDir = bundled.dataDir;

const WRITING = ['graphs', 'collections'];

it('a collection file written from a capture holds the capture, not later changes', async () => {
  const config = { size: 32, distance: 'Euclid' as const, m: 8, efConstruct: 32, fullScanThreshold: 10 };
  const c = new Collection('c', config);
  for (let id = 0; id < 5000; id++) c.upsert({ id, vector: vec(id), payload: { id, t: 'é"\n' } }, id + 1);
  for (let id = 0; id < 5000; id += 3) c.delete(id);
  const image = captureCollection(c);
  // Changes after the capture: a new point, an update, a delete, a payload replaced.
  c.upsert({ id: 'b6b6ed1a-3a4c-4f5e-9a0b-1c2d3e4f5a6b', vector: vec(9) }, 9001);
  c.upsert({ id: 1, vector: vec(1, 1), payload: { changed: true } }, 9002);
  c.delete(2);
  c.setPayload(c.labelOf(4)!, { other: 1 });
  const parts = [...collectionFileParts(image)].filter((p): p is Buffer => p !== undefined);
  expect(parts.length).toBeGreaterThan(8); // in chunks, not one piece
  const back = await loadCheckpoint(bufferSource(Buffer.concat(parts)), undefined);
  expect(back.count).toBe(5000 - 1667);
  expect(back.labelOf('b6b6ed1a-3a4c-4f5e-9a0b-1c2d3e4f5a6b')).toBeUndefined();
  for (const id of [1, 2, 4, 4999]) {
    const l = back.labelOf(id)!;
    expect([...back.vectorOf(l)]).toEqual(vec(id));
    expect(back.payloads[l]).toEqual({ id, t: 'é"\n' });
  }
  expect(back.labelOf(3)).toBeUndefined();
});

it('/health, a search and an upsert are answered while a checkpoint of 12,000 points is written; all kept', async () => {
  const dir = dataDir();
  const env = { VECTORS_CHECKPOINT_SECONDS: '1', VECTORS_OFF_LOOP_BYTES: '65536' };
  let s: Served = await serve(bundled.file, dir, env);
  let agent = new Agent({ keepAlive: true });
  const N = 12_000;
  const big = 'x'.repeat(2000); // 24 MB of payloads: a checkpoint that takes many turns
  expect(
    (
      await call(s.socket, agent, 'PUT', '/collections/big', {
        vectors: { size: 32, distance: 'Euclid' },
        hnsw_config: { m: 8, ef_construct: 32, full_scan_threshold: 100 },
      })
    ).status,
  ).toBe(200);
  for (let i = 0; i < N; i += 1000) {
    const points = Array.from({ length: 1000 }, (_, j) => ({
      id: i + j,
      vector: vec(i + j),
      payload: { i: i + j, big },
    }));
    expect((await call(s.socket, agent, 'PUT', '/collections/big/points', { points })).status).toBe(200);
  }
  const telemetry = async () => (await call(s.socket, agent, 'GET', '/telemetry')).json.result.checkpoint;

  // Each kind of request, sent between two looks at the checkpoint; kept when both saw the same
  // checkpoint (by its number) writing. Upserts keep arriving all along (new ids from N).
  const during: Record<string, string[]> = { health: [], search: [], upsert: [] };
  const upserted: number[] = [];
  let nextId = N;
  const kinds = ['health', 'search', 'upsert'] as const;
  let turn = 0;
  const first = await telemetry();
  const deadline = first.completed + 6; // at most this many checkpoints watched
  for (;;) {
    const a = await telemetry();
    if (a.completed >= deadline) break;
    // Enough of each, and one read or health check seen wholly inside the collections' phase (a
    // clean-clone CI run stopped at 3 of each with none there yet, 2026-12-07): asserted below.
    const inCollections = [...during.health!, ...during.search!].some((p) => p === 'collections→collections');
    if (kinds.every((k) => during[k]!.length >= 3) && inCollections) break;
    const kind = kinds[turn++ % kinds.length]!;
    let id: number | undefined;
    if (kind === 'health') {
      expect((await call(s.socket, agent, 'GET', '/health')).status).toBe(200);
    } else if (kind === 'search') {
      const r = await call(s.socket, agent, 'POST', '/collections/big/points/query', {
        query: vec(77),
        limit: 3,
        params: { hnsw_ef: 256 },
      });
      expect(r.json.result.points[0].id).toBe(77);
    } else {
      id = nextId++;
      const r = await call(s.socket, agent, 'PUT', '/collections/big/points', {
        points: [{ id, vector: vec(id), payload: { i: id, big } }],
      });
      expect(r.status).toBe(200);
      upserted.push(id);
    }
    const b = await telemetry();
    if (
      a.running &&
      b.running &&
      a.started === b.started &&
      WRITING.includes(a.phase) &&
      WRITING.includes(b.phase)
    )
      during[kind]!.push(`${a.phase}→${b.phase}`);
  }
  expect(during.health!.length).toBeGreaterThanOrEqual(3);
  expect(during.search!.length).toBeGreaterThanOrEqual(3);
  expect(during.upsert!.length).toBeGreaterThanOrEqual(3);
  expect([...during.health!, ...during.search!].some((p) => p === 'collections→collections')).toBe(true);

  // SIGKILL once no checkpoint runs: everything acknowledged comes back, from checkpoint + log.
  while ((await telemetry()).running) await new Promise((r) => setTimeout(r, 50));
  agent.destroy();
  await s.kill();
  s = await serve(bundled.file, dir, env);
  agent = new Agent({ keepAlive: true });
  try {
    expect(s.log()).toMatch(/opened 1 collections at operation \d+ \(checkpoint [1-9]\d*, \d+ replayed/);
    const count = await call(s.socket, agent, 'POST', '/collections/big/points/count', {});
    expect(count.json.result.count).toBe(N + upserted.length);
    const ids = [...upserted, 0, 5555, N - 1];
    const got = await call(s.socket, agent, 'POST', '/collections/big/points', {
      ids,
      with_payload: true,
      with_vector: true,
    });
    expect(got.json.result.map((p: { id: number }) => p.id).sort()).toEqual([...ids].sort());
    for (const p of got.json.result) {
      expect(p.payload).toEqual({ i: p.id, big });
      expect(p.vector).toEqual(vec(p.id));
    }
    // The graph read from the checkpoint (HNSW: the collection is over its full-scan threshold)
    // finds a point by its vector (approximate search: 90 % at least; in practice all).
    const probe = [...ids, ...Array.from({ length: 20 }, (_, i) => i * 599)];
    let self = 0;
    for (const id of probe) {
      const r = await call(s.socket, agent, 'POST', '/collections/big/points/query', {
        query: vec(id),
        limit: 1,
        params: { hnsw_ef: 256 },
      });
      if (r.json.result.points[0].id === id) self++;
    }
    expect(self / probe.length).toBeGreaterThanOrEqual(0.9);
    const t = await call(s.socket, agent, 'GET', '/telemetry');
    expect(t.json.result.collections.collections[0].searches.hnsw).toBe(probe.length);
  } finally {
    agent.destroy();
    await s.stop();
  }
}, 240_000);

it('a checkpoint with nothing new does not rewrite the files the manifest names (a kill then would corrupt them)', async () => {
  const dir = dataDir();
  let s = await serve(bundled.file, dir, {});
  const agent = new Agent({ keepAlive: true });
  await call(s.socket, agent, 'PUT', '/collections/k', { vectors: { size: 32, distance: 'Dot' } });
  const points = Array.from({ length: 50 }, (_, id) => ({ id, vector: vec(id), payload: { id } }));
  expect((await call(s.socket, agent, 'PUT', '/collections/k/points', { points })).status).toBe(200);
  agent.destroy();
  expect(await s.stop()).toBe(0); // SIGTERM: a checkpoint at the last operation
  const cp = join(dir, 'checkpoint');
  const files = () =>
    Object.fromEntries(
      readdirSync(cp).map((f) => {
        const st = statSync(join(cp, f));
        return [f, `${st.ino}:${st.mtimeMs}:${st.size}`];
      }),
    );
  const before = files();
  expect(Object.keys(before).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  // A restart with no write, then SIGTERM again: the same operation, so the same file names.
  s = await serve(bundled.file, dir, {});
  expect(await s.stop()).toBe(0);
  expect(files()).toEqual(before);
  s = await serve(bundled.file, dir, {});
  try {
    expect(s.log()).toMatch(/opened 1 collections at operation 2 \(checkpoint 2, 0 replayed/);
  } finally {
    await s.stop();
  }
}, 60_000);

type State = { vector: number[]; payload: { w: number; id: number; v: number } } | null;

it('a crash at any point of a checkpoint, with writes streaming, loses nothing acknowledged', async () => {
  const dir = dataDir();
  // What each id must be after a restart: the last acknowledged state, or one sent and not answered.
  const allowed = new Map<number, State[]>();
  const points = { created: false };
  const mine = new Map<number, number[]>(); // writer → its acknowledged live ids, across rounds
  const failpoints = ['graph', 'collection-file', 'manifest-tmp', 'manifest', 'cleanup', 'graph'];
  let next = 0;
  for (const [round, failpoint] of failpoints.entries()) {
    const s = await serve(bundled.file, dir, {
      VECTORS_CHECKPOINT_SECONDS: '1',
      VECTORS_OFF_LOOP_BYTES: '4096',
      VECTORS_CRASH_AT: failpoint,
    });
    const agent = new Agent({ keepAlive: true });
    if (!points.created) {
      const c = await call(s.socket, agent, 'PUT', '/collections/c', {
        vectors: { size: 32, distance: 'Euclid' },
        hnsw_config: { m: 8, ef_construct: 32, full_scan_threshold: 10 },
      });
      expect(c.status).toBe(200);
      points.created = true;
    }
    // Each change is allowed in both states until it is answered; after that only the new one.
    const send = async (method: string, path: string, body: unknown, changes: [number, State][]) => {
      for (const [id, st] of changes) allowed.set(id, [...(allowed.get(id) ?? [null]), st]);
      const r = await call(s.socket, agent, method, path, body).catch(() => undefined);
      if (!r) return false; // the process is gone: not acknowledged
      if (r.status !== 200) throw new Error(JSON.stringify(r.json));
      for (const [id, st] of changes) allowed.set(id, [st]);
      return true;
    };
    const writer = async (w: number) => {
      const live = mine.get(w) ?? [];
      mine.set(w, live);
      for (let step = 0; ; step++) {
        if (step % 4 === 3 && live.length > 10) {
          // Deletes free labels that the next new points reuse.
          const ids = live.splice(0, 3);
          if (
            !(await send(
              'POST',
              '/collections/c/points/delete',
              { points: ids },
              ids.map((id) => [id, null]),
            ))
          )
            return;
        } else if (step % 4 === 2 && live.length > 0) {
          const id = live[live.length - 1]!;
          const st: State = { vector: vec(id, round + 1), payload: { w, id, v: round + 1 } };
          if (
            !(await send('PUT', '/collections/c/points?wait=true', { points: [{ id, ...st }] }, [[id, st]]))
          )
            return;
        } else {
          const ids = Array.from({ length: 1 + (step % 20) }, () => next++);
          const sts = ids.map((id): [number, State] => [id, { vector: vec(id), payload: { w, id, v: 0 } }]);
          const body = { points: sts.map(([id, st]) => ({ id, ...st })) };
          if (!(await send('PUT', '/collections/c/points', body, sts))) return;
          live.push(...ids);
        }
      }
    };
    let writeError: Error | undefined;
    const writers = Array.from({ length: 4 }, (_, w) =>
      writer(w).catch((e: Error) => {
        writeError ??= e; // a refused write: stop the round and say why (below)
        void s.kill();
      }),
    );
    const code = await Promise.race([
      s.exited,
      new Promise((_, reject) =>
        setTimeout(() => void s.kill().then(() => reject(new Error(`no crash at ${failpoint}`))), 60_000),
      ),
    ]);
    await Promise.all(writers);
    expect(writeError).toBeUndefined();
    expect(code).toBeNull(); // killed by its signal
    expect(s.log()).toContain(`VECTORS_CRASH_AT=${failpoint}`);
    agent.destroy();
    await s.kill();
    if (round === 0) expect(next).toBeGreaterThan(50);
  }

  const s = await serve(bundled.file, dir, {});
  const agent = new Agent({ keepAlive: true });
  try {
    // The checkpoints that completed (manifest, cleanup rounds) are what the later starts loaded.
    expect(s.log()).toMatch(/\(checkpoint [1-9]\d*, \d+ replayed/);
    const ids = [...allowed.keys()];
    const found = new Map<number, { vector: number[]; payload: unknown }>();
    for (let i = 0; i < ids.length; i += 2000) {
      const r = await call(s.socket, agent, 'POST', '/collections/c/points', {
        ids: ids.slice(i, i + 2000),
        with_vector: true,
        with_payload: true,
      });
      for (const p of r.json.result) found.set(p.id, p);
    }
    const wrong = ids.filter((id) => {
      const p = found.get(id);
      const now: State = p ? { vector: p.vector, payload: p.payload as NonNullable<State>['payload'] } : null;
      return !allowed.get(id)!.some((st) => JSON.stringify(st) === JSON.stringify(now));
    });
    expect(wrong).toEqual([]);
    const count = await call(s.socket, agent, 'POST', '/collections/c/points/count', {});
    expect(count.json.result.count).toBe(found.size);
    // The graph (loaded from a checkpoint, then the log replayed into it) agrees with the points:
    // a search by a point's vector finds that point. Not every time: hnswlib's graph loses a few
    // points to deletes and reused slots (~0.3 % here, as much in process with no checkpoint at
    // all), while a graph that did not match the collection file would find next to none.
    const probe = [...found.keys()].filter((_, i) => i % Math.ceil(found.size / 400) === 0);
    let self = 0;
    for (const id of probe) {
      const r = await call(s.socket, agent, 'POST', '/collections/c/points/query', {
        query: found.get(id)!.vector,
        limit: 1,
        params: { hnsw_ef: 256 },
      });
      if (r.json.result.points[0].id === id) self++;
    }
    expect(self / probe.length).toBeGreaterThan(0.95);
    const t = await call(s.socket, agent, 'GET', '/telemetry');
    expect(t.json.result.collections.collections[0].searches.hnsw).toBe(probe.length);
  } finally {
    agent.destroy();
    await s.stop();
  }
}, 300_000);
