#!/usr/bin/env node
/**
 * A/B of the vectors service's single-query path (issue 16's "one query a request" figure), sides
 * taking turns in one run: `flock /tmp/bench.lock node_modules/.bin/node scripts/bench/_vectors-ab.mjs
 * /tmp/tree-a .` Each SIDE is a tree (a `git archive` snapshot with node_modules linked, or this
 * checkout) whose modules/vectors bundle runs as a host process with the image's Node flags and the
 * manifest's env, in a CPU group with the manifest's quota (like the sandbox's); `TREE@K=V` gives
 * that side's service a variable too, `TREE@FLAGS=--a,--b` more Node flags (e.g. --trace-gc). Each
 * service is given the same N random 100-d points (m 16, ef_construct 100), then rounds of Q
 * single queries (`points/query`, limit 10, hnsw_ef 128; 4 connections of the kit's client, as the
 * bench), the order reversed every other round. Per side: the service's CPU a query (all threads,
 * /proc ticks of 10 ms; median of the rounds and each round), wall a query, the kernel's share of
 * that CPU, this process's CPU a query as the client and its main thread's context switches, and the main thread's voluntary and
 * involuntary context switches a query. PROF=DIR: each service writes a --cpu-prof there (DIR/0,
 * DIR/1…) at its end. STRACE=1: after the rounds, one more pass a side under `strace -c -f` of its
 * service, the system calls a query by name (epoll_pwait: the event loop's waits; futex: threads).
 * CLIENT=fetch: the timed passes through undici's fetch with the Agent @qdrant/js-client-rest makes
 * (dispatcher.js: pipelining 1, keep-alive 10 s, no body or head timeout; here 4 connections and
 * the socket's path), the answer read with res.json(), as Qdrant's JS client sends a query; default
 * kit (the kit's client, the bench's); `TREE@CLIENT=fetch` for one side only. Env N (20000), Q (3000), ROUNDS (6). Diagnosis only: random points, not GloVe,
 * and no in-process library side (the bench's figure is `npm run bench -- vectors`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { cpuGroup } from './_cpu-group.mjs';
import { importBundled, root } from './_lib.mjs';
import { serviceEnv } from './_vectors-sandbox.mjs';

const specs = process.argv.slice(2);
if (specs.length === 0) throw new Error('give one or more sides: TREE[@K=V]');
const N = Number(process.env.N ?? 20000);
const Q = Number(process.env.Q ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const D = 100;
const { UnixHttpClient } = await importBundled('modules/kit/client/unix-http.ts');
const CLIENT = process.env.CLIENT ?? 'kit';
if (
  ![CLIENT, ...specs.map((x) => /@CLIENT=([^@]*)/.exec(x)?.[1] ?? 'kit')].every(
    (c) => c === 'kit' || c === 'fetch',
  )
)
  throw new Error('CLIENT is kit or fetch');

let seed = 1;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff - 0.5;
};
const vec = () => Array.from({ length: D }, rnd);
const points = Array.from({ length: N }, (_, i) => ({ id: i, vector: vec() }));
const queries = Array.from({ length: Q }, () =>
  JSON.stringify({ query: vec(), limit: 10, params: { hnsw_ef: 128 } }),
);

/** [all ticks, system ticks] of a process; [voluntary, involuntary] switches of its main thread. */
const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(f[11]) + Number(f[12]), Number(f[12])];
};
const switches = (pid) => {
  const t = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return [/^voluntary_ctxt_switches:\s*(\d+)/m, /^nonvoluntary_ctxt_switches:\s*(\d+)/m].map((r) =>
    Number(r.exec(t)[1]),
  );
};

/** One side's service: the tree's bundle as a host process with the image's flags and the manifest's env. */
async function startService(tree, over, label) {
  const moduleDir = path.join(tree, 'modules/vectors');
  const work = mkdtempSync(path.join(root, 'node_modules/.cache/vectors-ab-'));
  const { bundleServer } = await import(path.join(moduleDir, 'package.ts'));
  const server = path.join(work, 'server.mjs');
  await bundleServer(server);
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(path.join(moduleDir, 'Containerfile'), 'utf8'))[1];
  const flags = JSON.parse(`[${entry}]`).filter((a) => a.startsWith('--'));
  const manifest = JSON.parse(readFileSync(path.join(moduleDir, 'manifest.json'), 'utf8'));
  const { FLAGS, ...env } = over;
  const dataDir = path.join(work, 'data');
  mkdirSync(dataDir);
  const socket = path.join(work, 'api.sock');
  const child = spawn(process.execPath, [...flags, ...(FLAGS ? FLAGS.split(',') : []), server], {
    env: {
      PATH: process.env.PATH,
      ...serviceEnv(manifest.service.env, env),
      BLUEPRINT_SOCKET: socket,
      VECTORS_DATA_DIR: path.join(dataDir, 'db'),
      VECTORS_TOKEN_FILE: path.join(dataDir, 'access-token'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  let log = '';
  child.stderr.on('data', (c) => (log += c));
  while (!log.includes('serving ')) {
    if (child.exitCode !== null) throw new Error(log);
    await new Promise((r) => setTimeout(r, 20));
  }
  const group = cpuGroup(`vectors-ab${label}`, manifest.service.resources.cpus);
  group?.enter(child.pid);
  return {
    socket,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      group?.remove();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

const sides = [];
process.on('exit', () => {
  for (const s of sides) process.kill(s.svc.pid, 'SIGKILL');
});
try {
  for (const spec of specs) {
    const [tree, ...sets] = spec.split('@');
    const over = Object.fromEntries(
      sets.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    // TREE@CLIENT=fetch: this side's timed passes through that client (the services alike).
    const via = over.CLIENT ?? CLIENT;
    delete over.CLIENT;
    if (process.env.PROF)
      over.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${path.join(process.env.PROF, String(sides.length))}`;
    const svc = await startService(path.resolve(tree), over, sides.length);
    const client = new UnixHttpClient({ socketPath: svc.socket });
    const call = async (method, p, body) => {
      const res = await client.request({
        method,
        path: p,
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: 60_000,
      });
      if (res.status !== 200) throw new Error(`${spec} ${p}: ${res.status} ${Buffer.from(res.body)}`);
      return res;
    };
    // Qdrant's JS client's transport (its dispatcher.js), on the socket.
    const agent = new Agent({
      connect: { socketPath: svc.socket },
      bodyTimeout: 0,
      headersTimeout: 0,
      connections: 4,
      keepAliveTimeout: 10_000,
    });
    const query =
      via === 'kit'
        ? (body) => call('POST', '/collections/c/points/query', body)
        : async (body) => {
            const res = await fetch('http://localhost/collections/c/points/query', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
              dispatcher: agent,
            });
            const j = await res.json();
            if (res.status !== 200) throw new Error(`${spec}: ${res.status} ${JSON.stringify(j)}`);
            return j;
          };
    sides.push({
      spec,
      svc,
      client,
      agent,
      call,
      query,
      cpu: [],
      wall: [],
      all: 0,
      sys: 0,
      clientUs: 0,
      vol: 0,
      invol: 0,
      cvol: 0,
      cinvol: 0,
    });
    await call(
      'PUT',
      '/collections/c',
      JSON.stringify({ vectors: { size: D, distance: 'Cosine' }, hnsw_config: { m: 16, ef_construct: 100 } }),
    );
    for (let i = 0; i < N; i += 1000)
      await call(
        'PUT',
        '/collections/c/points?wait=true',
        JSON.stringify({ points: points.slice(i, i + 1000) }),
      );
    // The graph takes the points after the writes are answered (graph-queue.ts): wait for all.
    for (;;) {
      const info = JSON.parse(Buffer.from((await call('GET', '/collections/c')).body));
      if (info.result.indexed_vectors_count >= N || N <= 10_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const pass = async (s) => {
    let next = 0;
    const [c0, k0] = ticks(s.svc.pid);
    const [v0, i0] = switches(s.svc.pid);
    const [cv0, ci0] = switches(process.pid);
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < Q) await s.query(queries[next++]);
      }),
    );
    const wall = (performance.now() - t0) / Q;
    const u = process.cpuUsage(u0);
    const [c1, k1] = ticks(s.svc.pid);
    const [v1, i1] = switches(s.svc.pid);
    const [cv1, ci1] = switches(process.pid);
    return {
      wall,
      cpu: ((c1 - c0) * 10) / Q,
      all: c1 - c0,
      sys: k1 - k0,
      client: u.user + u.system,
      v: v1 - v0,
      i: i1 - i0,
      cv: cv1 - cv0,
      ci: ci1 - ci0,
    };
  };
  /** One pass under `strace -c -f` of the service (every thread): system calls a query by name. */
  const straced = async (s) => {
    const out = path.join(root, `node_modules/.cache/vectors-ab-strace-${s.svc.pid}`);
    const st = spawn('strace', ['-c', '-f', '-o', out, '-p', String(s.svc.pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const done = new Promise((r) => st.once('exit', r));
    let err = '';
    st.stderr.on('data', (c) => (err += c));
    while (!/attached/.test(err)) {
      if (st.exitCode !== null) throw new Error(`strace: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await pass(s);
    st.kill('SIGINT');
    await done;
    const rows = readFileSync(out, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5 && /^\d+$/.test(f[3]) && f.at(-1) !== 'total');
    rmSync(out, { force: true });
    return `system calls a query ${rows.map((f) => `${f.at(-1)} ${(Number(f[3]) / Q).toFixed(2)}`).join(', ')}`;
  };
  for (const s of sides) await pass(s); // caches, JIT and connections warm
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(`load ${load()}; N ${N}, Q ${Q}, ${ROUNDS} rounds`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const p = await pass(s);
      s.cpu.push(p.cpu);
      s.wall.push(p.wall);
      s.all += p.all;
      s.sys += p.sys;
      s.clientUs += p.client;
      s.vol += p.v;
      s.invol += p.i;
      s.cvol += p.cv;
      s.cinvol += p.ci;
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const n = Q * ROUNDS;
  for (const s of sides)
    console.log(
      `${s.spec}: service CPU ${(med(s.cpu) * 1000).toFixed(1)} us a query (rounds ${s.cpu.map((x) => (x * 1000).toFixed(0)).join(' ')}), ` +
        `wall ${(med(s.wall) * 1000).toFixed(1)} us, kernel ${(s.sys / s.all).toFixed(2)} of it; client CPU ${(s.clientUs / n).toFixed(1)} us ` +
        `(its main thread's switches ${(s.cvol / n).toFixed(2)} voluntary, ${(s.cinvol / n).toFixed(2)} involuntary a query); ` +
        `main thread switches ${(s.vol / n).toFixed(2)} voluntary, ${(s.invol / n).toFixed(2)} involuntary a query`,
    );
  if (process.env.STRACE) for (const s of sides) console.log(`${s.spec}: ${await straced(s)}`);
  console.log(`load ${load()}`);
} finally {
  for (const s of sides.splice(0)) {
    s.client.close();
    await s.agent.close();
    await s.svc.stop();
  }
}
