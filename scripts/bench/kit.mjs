#!/usr/bin/env node
/**
 * The module server kit under load, on the embeddings service (Node 24: `npm run bench -- kit`, or
 * `node scripts/bench/kit.mjs`). The service runs as the container runs it: the esbuild bundle in
 * its own process with nofile 1024, tiny BERT, one inference thread, its worker thread.
 *
 * For 1, 8, 32 and 64 keep-alive clients, each sending POST /v1/embeddings (8 sentences) in a loop
 * for --seconds (a 503 is retried after 20 ms, not Retry-After's 1 s: at 64 clients it is a refusal
 * loop, whose 200s/s follow the machine's load more than the server): requests/s answered 200 and
 * 503, latency, /health p50/p99 on fresh connections meanwhile, the service's CPU a 200 and its
 * main thread's busy share. A/B: --service-kit DIR (kit server files, e.g. from git) runs the
 * levels on the service with that kit too, --rounds N times, taking turns at going first;
 * --clients 64 --load-only for just that. Then 8 large requests (64 inputs at the per-input
 * character limit), issue 14's abuse (1,100 idle connections, then /health; 100 pipelined requests
 * beside a second client), RSS before, at peak and --settle s after. --json, --seconds N, --log, --help.
 *
 * Then (or alone with --cpu-only) the server's CPU a request: a small JSON request (a 100-d vector
 * search, ~1.2 KB) answered with a small JSON answer, by the kit, by a bare node:http server and by
 * a bare node:net server with a minimal parse (the floor), each in its own process, the client (the
 * kit's lean client) in this one; hot (back to back) and paced (1 ms apart, so the server's code runs
 * cold between requests as in a real service). --cpu-kit FILE adds another kit (its index.ts, e.g. an
 * older one from git) to the same run (./_kit-cpu.mjs). The servers take turns: --cpu-rounds N
 * rounds (default 5) of --cpu-requests split among them, each figure the median of its rounds.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { manifestEnv } from './_lib.mjs';

const repo = resolve(import.meta.dirname, '../..');
const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean' },
    seconds: { type: 'string', default: '5' },
    settle: { type: 'string', default: '30' },
    log: { type: 'boolean' },
    'cpu-only': { type: 'boolean' },
    'cpu-kit': { type: 'string' },
    'cpu-requests': { type: 'string', default: '20000' },
    'cpu-rounds': { type: 'string', default: '5' },
    clients: { type: 'string', default: '1,8,32,64' },
    'load-only': { type: 'boolean' },
    // A/B: the service with this kit server folder too, alternated with the tree's, --rounds times.
    'service-kit': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\nimport ')[0]; // the opening comment
  console.log(head.replace(/^(#!.*|\/\*\*| \*\/| \* ?)/gm, '').trim());
  process.exit(0);
}
const SECONDS = Number(opts.seconds);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

function post(socketPath, agent, body, sockets) {
  return new Promise((done) => {
    const t0 = performance.now();
    const req = request(
      {
        socketPath,
        agent,
        method: 'POST',
        path: '/v1/embeddings',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode, ms: performance.now() - t0 }));
      },
    );
    req.on('error', () => done({ status: 0, ms: performance.now() - t0 }));
    if (sockets) req.once('socket', (s) => sockets.add(s)); // connections made (reconnects)
    req.end(body);
  });
}

function health(socketPath) {
  return new Promise((done) => {
    const t0 = performance.now();
    const req = request({ socketPath, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200 ? performance.now() - t0 : Number.POSITIVE_INFINITY));
    });
    req.on('error', () => done(Number.POSITIVE_INFINITY));
    req.end();
  });
}

const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;

/** CPU ms so far of a process (all threads) and of its main thread (/proc, clock ticks of 10 ms). */
function cpuMs(pid) {
  const ticks = (file) => {
    const text = readFileSync(file, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime
  };
  return { all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) };
}

async function level(socketPath, clients, pid) {
  const body = JSON.stringify({
    input: Array.from({ length: 8 }, (_, i) => `a cat sits on the mat number ${i} while stock prices fell`),
  });
  const latencies = [];
  const healthMs = [];
  let ok = 0;
  let busy = 0;
  let other = 0;
  const sockets = new Set();
  const end = Date.now() + SECONDS * 1000;
  const cpu0 = pid ? cpuMs(pid) : undefined;
  const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const probe = (async () => {
    while (Date.now() < end) {
      healthMs.push(await health(socketPath));
      await sleep(25); // ~40 a second: a p99 of more than a handful of samples
    }
  })();
  await Promise.all(
    agents.map(async (agent) => {
      while (Date.now() < end) {
        const r = await post(socketPath, agent, body, sockets);
        if (r.status === 200) {
          ok++;
          latencies.push(r.ms);
        } else if (r.status === 503) {
          busy++;
          await sleep(20); // Retry-After says 1 s; a tight loop here would only measure refusals
        } else other++;
      }
    }),
  );
  await probe;
  const cpu1 = pid ? cpuMs(pid) : undefined;
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  healthMs.sort((a, b) => a - b);
  return {
    clients,
    rps: ok / SECONDS,
    busyRps: busy / SECONDS,
    // The service's CPU a 200 answer (refusals included), all threads and the main (HTTP) thread.
    cpuMsPerOk: cpu0 ? (cpu1.all - cpu0.all) / Math.max(1, ok) : NaN,
    mainCpuShare: cpu0 ? (cpu1.main - cpu0.main) / (SECONDS * 1000) : NaN,
    connections: sockets.size,
    refusedShare: busy / Math.max(1, ok + busy + other),
    errors: other,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    healthP50: pct(healthMs, 50),
    healthP99: pct(healthMs, 99),
  };
}

/**
 * Issue 14's abuse at full scale: 1,100 idle connections (over the container's nofile 1024), then
 * /health on a fresh one; and 100 requests pipelined on one connection, then a second client.
 */
async function abuse(socketPath) {
  const idle = [];
  let closedByServer = 0;
  for (let i = 0; i < 1100; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, () => {
        return new Promise((done) => {
          const s = connect(socketPath);
          s.on('error', () => undefined);
          s.on('close', () => closedByServer++);
          s.once('connect', done);
          s.once('close', done);
          s.resume();
          idle.push(s);
        });
      }),
    );
  }
  const idleHealthMs = await health(socketPath);
  const closedBefore = closedByServer; // by the service, at its connection cap
  for (const s of idle) s.destroy();
  await sleep(200);
  const flood = connect(socketPath);
  let answers = '';
  flood.on('data', (c) => {
    answers += c;
  });
  flood.on('error', () => undefined);
  await new Promise((r) => flood.once('connect', r));
  const one = JSON.stringify({ input: Array.from({ length: 32 }, (_, i) => `pipelined text number ${i}`) });
  flood.write(
    `POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${one.length}\r\n\r\n${one}`.repeat(
      100,
    ),
  );
  await sleep(20);
  const t0 = performance.now();
  const second = await post(
    socketPath,
    new Agent({ keepAlive: false }),
    JSON.stringify({ input: 'second client' }),
  );
  const secondMs = performance.now() - t0;
  await sleep(1500);
  flood.destroy();
  return {
    idleConnections: 1100,
    closedByServer: closedBefore,
    idleHealthMs,
    pipelined: 100,
    pipelinedOk: answers.match(/HTTP\/1\.1 200/g)?.length ?? 0,
    pipelinedBusy: answers.match(/HTTP\/1\.1 503/g)?.length ?? 0,
    secondStatus: second.status,
    secondMs,
  };
}

const { bundleServer } = await import('../../modules/embeddings/package.ts');
const { bundleServiceWithKit } = await import('./_kit-service.mjs');
const { cpuPerRequest } = await import('./_kit-cpu.mjs');
const cache = join(repo, 'node_modules/.cache/blueprint-bench-kit');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(cache, 'b-'));
// Node's flags from the image's ENTRYPOINT, so the process is the one the container runs.
const entry = JSON.parse(
  /^ENTRYPOINT\s+(\[.*\])/m.exec(readFileSync(join(repo, 'modules/embeddings/Containerfile'), 'utf8'))[1],
);
const nodeFlags = entry.slice(1, -1);
const result = { bench: 'kit', model: 'tiny-bert', seconds: SECONDS, levels: [] };
let log = '';

/** The embeddings service under load (the levels, the abuse, large inputs, memory). */
async function serviceLoad(kitDir) {
  const file = join(work, kitDir ? 'server-other.mjs' : 'server.mjs');
  if (kitDir) await bundleServiceWithKit(repo, work, resolve(kitDir), file);
  else await bundleServer(file);
  const socketPath = join(work, 'api.sock');
  log = '';
  const child = spawn('prlimit', ['--nofile=1024:1024', '--', process.execPath, ...nodeFlags, file], {
    env: {
      PATH: process.env.PATH,
      BLUEPRINT_SOCKET: socketPath,
      EMBEDDINGS_MODEL_DIR: join(repo, 'test/fixtures/models'),
      EMBEDDINGS_MODEL: 'tiny-bert',
      EMBEDDINGS_VERIFY: 'off',
      EMBEDDINGS_DEVICE: 'cpu',
      EMBEDDINGS_THREADS: '1',
      // The allocator settings the manifest gives the container (they bound memory after a burst).
      ...Object.fromEntries(
        Object.entries(manifestEnv('embeddings')).filter(([k]) => k.startsWith('MALLOC_')),
      ),
      ...JSON.parse(process.env.BENCH_KIT_ENV ?? '{}'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.kitLabel = kitDir ? `kit at ${kitDir}` : 'kit';
  child.stderr.on('data', (c) => {
    log += c;
  });
  try {
    await loaded(child, socketPath);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function loaded(child, socketPath) {
  for (let i = 0; !/serving /.test(log); i++) {
    if (i > 600 || child.exitCode !== null) throw new Error(`the service did not start: ${log}`);
    await sleep(100);
  }
  const pid =
    Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()) || child.pid;
  await level(socketPath, 1); // warm-up
  result.memoryBefore = memoryOf(pid).rssMiB;
  for (const clients of opts.clients.split(',').map(Number))
    result.levels.push({
      kit: child.kitLabel,
      load: loadavg()[0],
      ...(await level(socketPath, clients, pid)),
      rssMiB: memoryOf(pid).rssMiB,
    });
  if (opts['load-only']) return;
  result.abuse = await abuse(socketPath);
  // Large inputs: 64 inputs at the character limit, 8 at once.
  const info = await new Promise((done) => {
    request({ socketPath, path: '/info' }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => done(JSON.parse(t)));
    }).end();
  });
  const big = JSON.stringify({
    input: Array.from({ length: 64 }, () =>
      'word '.repeat((info.max_input_chars ?? info.max_tokens * 64) / 5).trim(),
    ),
  });
  const t0 = performance.now();
  const bigAgents = Array.from({ length: 8 }, () => new Agent({ keepAlive: false }));
  let bigDone = false;
  const bigHealth = [];
  const bigProbe = (async () => {
    while (!bigDone) {
      bigHealth.push(await health(socketPath));
      await sleep(50);
    }
  })();
  const bigReplies = await Promise.all(bigAgents.map((a) => post(socketPath, a, big)));
  bigDone = true;
  await bigProbe;
  result.large = {
    requests: 8,
    bytesEach: big.length,
    statuses: bigReplies.map((r) => r.status),
    seconds: (performance.now() - t0) / 1000,
    healthMaxMs: Math.max(...bigHealth),
  };
  const m = memoryOf(pid);
  result.memoryPeak = m.peakMiB;
  result.memoryAtEnd = m.rssMiB;
  await sleep(Number(opts.settle) * 1000);
  result.memoryAfter = memoryOf(pid).rssMiB;
  result.settleSeconds = Number(opts.settle);
  result.logLines = log.split('\n').length - 1;
}

try {
  if (!opts['cpu-only'])
    for (let r = 0; r < Number(opts.rounds); r++) {
      // Each kit goes first in turn (a loaded machine drifts within a run).
      const kits = opts['service-kit'] ? [undefined, opts['service-kit']] : [undefined];
      for (const k of r % 2 ? kits.reverse() : kits) await serviceLoad(k);
    }
  if (!opts['load-only'])
    result.cpu = await cpuPerRequest(work, nodeFlags, {
      repo,
      otherKit: opts['cpu-kit'],
      requests: opts['cpu-requests'],
      rounds: opts['cpu-rounds'],
    });
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (opts.log) process.stderr.write(log);
if (opts.json) console.log(JSON.stringify(result, null, 2));
else if (!opts['cpu-only']) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
  console.log(
    `kit load on embeddings (tiny-bert, 1 thread, nofile 1024, node ${nodeFlags.join(' ')}), ` +
      `${SECONDS} s per level, 8 sentences a request`,
  );
  console.log(
    '| server | clients | requests/s | 503/s | 503 share | p50 ms | p95 ms | p99 ms | /health p50 / p99 ms | CPU ms a 200 | main thread busy | RSS after, MiB | load |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of result.levels)
    console.log(
      `| ${l.kit} | ${l.clients} (${l.connections} conns) | ${l.rps.toFixed(0)} | ${l.busyRps.toFixed(0)} | ${(l.refusedShare * 100).toFixed(0)}% | ${f(l.p50)} | ${f(l.p95)} | ${f(l.p99)} | ${f(l.healthP50)} / ${f(l.healthP99)} | ${l.cpuMsPerOk.toFixed(2)} | ${(l.mainCpuShare * 100).toFixed(0)}% | ${f(l.rssMiB)} | ${l.load.toFixed(1)} |`,
    );
}
if (!opts.json && !opts['cpu-only'] && !opts['load-only']) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
  const a = result.abuse;
  console.log(
    `abuse: ${a.idleConnections} idle connections (${a.closedByServer} closed by the service) → /health in ${f(a.idleHealthMs)} ms; ` +
      `${a.pipelined} pipelined on one connection → ${a.pipelinedOk} × 200, ${a.pipelinedBusy} × 503; ` +
      `a second client meanwhile → ${a.secondStatus} in ${f(a.secondMs)} ms`,
  );
  console.log(
    `large: 8 × ${(result.large.bytesEach / 1e6).toFixed(2)} MB at once → ${result.large.statuses.join(',')} in ${result.large.seconds.toFixed(1)} s; /health meanwhile at most ${f(result.large.healthMaxMs)} ms`,
  );
  console.log(
    `memory (RSS of the service): before ${f(result.memoryBefore)} MiB, peak ${f(result.memoryPeak)} MiB, ` +
      `at the end ${f(result.memoryAtEnd)} MiB, ${result.settleSeconds} s after ${f(result.memoryAfter)} MiB; ${result.logLines} log lines`,
  );
}
if (!opts.json && result.cpu) {
  const c = result.cpu;
  const f = (x) => (x === undefined ? '' : x.toFixed(1));
  const spread = (xs) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
  console.log(
    `server CPU a request (µs; median of ${opts['cpu-rounds']} rounds taking turns, the rounds' range beside it), 1.2 KB JSON in, small JSON out, node ${nodeFlags.join(' ')}; load ${loadavg()[0].toFixed(2)}`,
  );
  console.log('| server | hot: CPU | hot: round trip | paced 1 ms: CPU |');
  console.log('| --- | --- | --- | --- |');
  const rows = [
    ['kit', 'the kit'],
    ['other', `the kit at ${opts['cpu-kit']}`],
    ['http', 'bare node:http'],
    ['net', 'node:net floor'],
  ];
  for (const [k, name] of rows.filter(([k]) => c[k]))
    console.log(
      `| ${name} | ${f(c[k].hot.cpuUs)} (${spread(c[k].hot.rounds)}) | ${f(c[k].hot.wallUs)} | ${f(c[k].paced.cpuUs)} (${spread(c[k].paced.rounds)}) |`,
    );
}
