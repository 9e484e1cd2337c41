#!/usr/bin/env node
/**
 * The module server kit under load, on the embeddings service (Node 24: `npm run bench -- kit`, or
 * `node scripts/bench/kit.mjs`). The service runs as the container runs it: the esbuild bundle in
 * its own process with nofile 1024, tiny BERT, one inference thread, its worker thread.
 *
 * For 1, 8, 32 and 64 keep-alive clients, each sending POST /v1/embeddings (8 sentences) in a loop
 * for --seconds: requests/s answered 200, share answered 503, latency p50/p95/p99, and /health's
 * p99 measured on fresh connections meanwhile. Then 8 large requests (64 inputs at the per-input
 * character limit), and issue 14's abuse at full scale (1,100 idle connections, then /health; 100
 * pipelined requests on one connection beside a second client). Memory (RSS) before, at peak (VmHWM) and --settle seconds after the load.
 * Options: --json, --seconds N (default 5), --settle N (default 30), --log (print the service's log).
 *
 * Then (or alone with --cpu-only) the server's CPU a request: a small JSON request (a 100-d vector
 * search, ~1.2 KB) answered with a small JSON answer, by the kit, by a bare node:http server and by
 * a bare node:net server with a minimal parse (the floor), each in its own process, the client (the
 * kit's lean client) in this one; hot (back to back) and paced (1 ms apart, so the server's code runs
 * cold between requests as in a real service). --cpu-kit FILE adds another kit (its index.ts, e.g. an
 * older one from git) to the same run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

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
  },
});
const SECONDS = Number(opts.seconds);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

function post(socketPath, agent, body) {
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

async function level(socketPath, clients) {
  const body = JSON.stringify({
    input: Array.from({ length: 8 }, (_, i) => `a cat sits on the mat number ${i} while stock prices fell`),
  });
  const latencies = [];
  const healthMs = [];
  let ok = 0;
  let busy = 0;
  let other = 0;
  const end = Date.now() + SECONDS * 1000;
  const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const probe = (async () => {
    while (Date.now() < end) {
      healthMs.push(await health(socketPath));
      await sleep(100);
    }
  })();
  await Promise.all(
    agents.map(async (agent) => {
      while (Date.now() < end) {
        const r = await post(socketPath, agent, body);
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
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  healthMs.sort((a, b) => a - b);
  return {
    clients,
    rps: ok / SECONDS,
    refusedShare: busy / Math.max(1, ok + busy + other),
    errors: other,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
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

// The servers of the CPU comparison: one route (parse the JSON body, answer a search-shaped result)
// and GET /cpu (the process's CPU time so far), so the client reads the server's CPU before and after.
const cpuServer = (kind, kitIndex) => `
const answer = { result: Array.from({ length: 10 }, (_, i) => ({ id: i, score: 0.5, version: 0 })), status: 'ok', time: 0.0001 };
const cpu = () => JSON.stringify(process.cpuUsage());
const ready = () => process.stderr.write('serving\\n');
const kind = ${JSON.stringify(kind)};
if (kind === 'kit') {
  const { createKitServer, createLog } = await import(${JSON.stringify(kitIndex)});
  const kit = createKitServer({
    log: createLog({ name: 'cpu' }),
    errorBody: (e) => ({ status: { error: e.message } }),
    routes: {
      '/search': { method: 'POST', handle: async (ctx) => { await ctx.json(); return { body: answer }; } },
      '/cpu': { method: 'GET', handle: () => ({ body: process.cpuUsage() }) },
    },
  });
  await kit.listen(process.env.BLUEPRINT_SOCKET);
  ready();
} else if (kind === 'http') {
  const { createServer } = await import('node:http');
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const text = req.url === '/cpu' ? cpu() : (JSON.parse(Buffer.concat(chunks).toString()), JSON.stringify(answer));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }).listen(process.env.BLUEPRINT_SOCKET, ready);
} else {
  const { createServer } = await import('node:net');
  createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const end = buf.indexOf('\\r\\n\\r\\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const n = Number(/\\r\\ncontent-length:\\s*(\\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + n) return;
        const body = buf.subarray(end + 4, end + 4 + n);
        buf = buf.subarray(end + 4 + n);
        const text = head.startsWith('GET /cpu') ? cpu() : (JSON.parse(body.toString()), JSON.stringify(answer));
        sock.write('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: ' + Buffer.byteLength(text) + '\\r\\n\\r\\n' + text);
      }
    });
  }).listen(process.env.BLUEPRINT_SOCKET, ready);
}
`;

/** Server CPU (µs) a request, hot and paced, for the kit, bare node:http and the node:net floor. */
async function cpuPerRequest(dir, nodeFlags) {
  const { build } = await import('esbuild');
  // Bundled: the kit's .ts files import each other as .js, which Node's type stripping does not map.
  const clientFile = join(dir, 'client.mjs');
  await build({
    entryPoints: [join(repo, 'modules/kit/client/unix-http.ts')],
    outfile: clientFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
  const { UnixHttpClient } = await import(pathToFileURL(clientFile).href);
  const kits = { kit: join(repo, 'modules/kit/server/index.ts') };
  if (opts['cpu-kit']) kits.other = resolve(opts['cpu-kit']);
  const body = JSON.stringify({ vector: Array.from({ length: 100 }, (_, i) => Math.sin(i)), limit: 10 });
  const n = Number(opts['cpu-requests']);
  const out = {};
  for (const kind of [...Object.keys(kits), 'http', 'net']) {
    const entry = join(dir, `cpu-${kind}.mjs`);
    writeFileSync(entry, cpuServer(kind in kits ? 'kit' : kind, kits[kind]));
    const file = join(dir, `cpu-${kind}.bundle.mjs`);
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
    });
    const socketPath = join(dir, `cpu-${kind}.sock`);
    const server = spawn(process.execPath, [...nodeFlags, file], {
      env: { PATH: process.env.PATH, BLUEPRINT_SOCKET: socketPath },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = '';
    server.stderr.on('data', (c) => (said += c));
    for (let i = 0; !said.includes('serving'); i++) {
      if (i > 100 || server.exitCode !== null) throw new Error(`the ${kind} server did not start: ${said}`);
      await sleep(50);
    }
    const client = new UnixHttpClient({ socketPath });
    const call = () =>
      client.request({
        method: 'POST',
        path: '/search',
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: 5000,
      });
    const cpuNow = async () => {
      const r = await client.request({ method: 'GET', path: '/cpu', timeoutMs: 5000 });
      const u = JSON.parse(Buffer.from(r.body).toString());
      return u.user + u.system;
    };
    try {
      for (let i = 0; i < 2000; i++) if ((await call()).status !== 200) throw new Error(`${kind}: not 200`);
      const row = {};
      for (const [mode, count, gapMs] of [
        ['hot', n, 0],
        ['paced', Math.min(n, 2000), 1],
      ]) {
        const c0 = await cpuNow();
        const t0 = performance.now();
        for (let i = 0; i < count; i++) {
          await call();
          if (gapMs) await sleep(gapMs);
        }
        const wall = performance.now() - t0;
        row[mode] = {
          cpuUs: ((await cpuNow()) - c0) / count,
          wallUs: gapMs ? undefined : (wall * 1000) / count,
        };
      }
      out[kind] = row;
    } finally {
      client.close();
      server.kill('SIGKILL');
    }
  }
  return out;
}

const { bundleServer } = await import('../../modules/embeddings/package.ts');
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
async function serviceLoad() {
  const file = join(work, 'server.mjs');
  await bundleServer(file);
  const socketPath = join(work, 'api.sock');
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
        Object.entries(
          JSON.parse(readFileSync(join(repo, 'modules/embeddings/manifest.json'), 'utf8')).service.env,
        ).filter(([k]) => k.startsWith('MALLOC_')),
      ),
      ...JSON.parse(process.env.BENCH_KIT_ENV ?? '{}'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
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
  for (const clients of [1, 8, 32, 64])
    result.levels.push({ ...(await level(socketPath, clients)), rssMiB: memoryOf(pid).rssMiB });
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
  if (!opts['cpu-only']) await serviceLoad();
  result.cpu = await cpuPerRequest(work, nodeFlags);
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
    '| clients | requests/s | 503 share | p50 ms | p95 ms | p99 ms | /health p99 ms | RSS after, MiB |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of result.levels)
    console.log(
      `| ${l.clients} | ${l.rps.toFixed(0)} | ${(l.refusedShare * 100).toFixed(0)}% | ${f(l.p50)} | ${f(l.p95)} | ${f(l.p99)} | ${f(l.healthP99)} | ${f(l.rssMiB)} |`,
    );
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
if (!opts.json) {
  const c = result.cpu;
  const f = (x) => (x === undefined ? '' : x.toFixed(1));
  console.log(
    `server CPU a request (µs), 1.2 KB JSON in, small JSON out, node ${nodeFlags.join(' ')}; load ${loadavg()[0].toFixed(2)}`,
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
    console.log(`| ${name} | ${f(c[k].hot.cpuUs)} | ${f(c[k].hot.wallUs)} | ${f(c[k].paced.cpuUs)} |`);
}
