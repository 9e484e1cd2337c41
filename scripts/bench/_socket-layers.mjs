#!/usr/bin/env node
/**
 * Where a request's CPU goes through a module's socket, layer by layer (issues 16 and 20): the
 * figures "GloVe through the socket" and "vectors, one query a request" are per-request overhead,
 * so this times, taking turns in one run, the same requests against:
 *   engine   (embeddings only) the module's engine in a child process, the figure's baseline;
 *   service  the module's bundle as a host process with the image's Node flags and the manifest's
 *            env, in a CPU group like the sandbox's (the figure's other side, without Podman);
 *   kit      the module server kit with one route that parses the JSON body and answers the
 *            service's own answer (its bytes, canned): the kit's request path with no handler work;
 *   floor    node:net with a minimal HTTP parse, JSON.parse of the body and the same canned answer.
 * The client is the kit's HTTP/1.1 client (modules/kit/client, the benches' and rag's), in this
 * process: embeddings one batch of 32 sentences at a time as the bench sends them (base64 answers
 * decoded to Float32Arrays), vectors single queries at hnsw_ef 128, 4 in flight on 4 connections.
 * Per side and request: wall µs, the server's CPU µs by thread (/proc/PID/task/TID/schedstat, ns
 * on a core, so no 10 ms ticks) and this process's CPU µs as the client; vectors also the wall time
 * inside hnswlib's searchKnn (the service's /telemetry). Each figure is the median of its rounds.
 * So: the kit's own cost is kit − floor, the module's handler and the engine's slowdown beside the
 * exchange service − kit − engine; the exchange's floor is the floor's server + client.
 *   node_modules/.bin/node scripts/bench/_socket-layers.mjs [--module embeddings|vectors|both]
 *        [--rounds 5] [--requests 1024] [--points 20000]          (Node 24; diagnosis only)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { likeAContainer } from './_cpu-group.mjs';
import {
  decodeEmbeddings,
  inProcessChild,
  sentences,
  serviceEnv,
  waitForSocket,
} from './_embeddings-procs.mjs';
import { manifestEnv } from './_lib.mjs';
import { netFloorServerSource } from './_net-floor.mjs';
import { gloveSet } from './_vectors-data.mjs';
import { hostProcess } from './_vectors-sandbox.mjs';

const { values: o } = parseArgs({
  options: {
    module: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '1024' },
    points: { type: 'string', default: '20000' },
  },
});
const repo = resolve(import.meta.dirname, '../..');
// Inside the checkout: the bundles resolve node_modules (hnswlib-node, onnxruntime-node) from here.
const cache = join(repo, 'node_modules/.cache/blueprint-bench');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(cache, 'socket-layers-'));
const ROUNDS = Number(o.rounds);
const REQUESTS = Number(o.requests);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const children = [];
const ungroups = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const u of ungroups) u?.();
});

const { build } = await import('esbuild');
async function bundle(source, name) {
  const entry = join(work, `${name}.entry.mjs`);
  const file = join(work, `${name}.mjs`);
  writeFileSync(entry, source);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
  return file;
}
const at = (p) => JSON.stringify(join(repo, p));
const { UnixHttpClient } = await import(
  pathToFileURL(
    await bundle(`export { UnixHttpClient } from ${at('modules/kit/client/unix-http.ts')};`, 'client'),
  ).href
);

/** ns on a core so far of each of the process's threads, summed by thread name ('main': the event loop). */
function threadNs(pid) {
  const by = {};
  for (const tid of readdirSync(`/proc/${pid}/task`))
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const name =
        tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      by[name] = (by[name] ?? 0) + ns;
    } catch {} // the thread ended
  return by;
}

/** The two canned servers: the kit with one route, and the node:net floor, answering `answer`. */
async function cannedServers(route, answer, bodyCheck, nodeFlags) {
  const answerFile = join(work, `answer-${route.replace(/\W/g, '')}.txt`);
  writeFileSync(answerFile, answer);
  const kit = `import { readFileSync } from 'node:fs';
import { createKitServer, createLog } from ${at('modules/kit/server/index.ts')};
const ANSWER = readFileSync(${JSON.stringify(answerFile)}, 'utf8');
const kit = createKitServer({ name: 'canned', log: createLog({ name: 'canned' }), errorBody: (e) => ({ error: e.message }),
  routes: { ${JSON.stringify(route)}: { method: 'POST', handle: async (ctx) => {
    if (!(${bodyCheck})(await ctx.json())) throw new Error('not the body expected');
    return { json: ANSWER };
  } } } });
await kit.listen(process.env.BLUEPRINT_SOCKET);`;
  const floor = `import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
const ANSWER = Buffer.from(readFileSync(${JSON.stringify(answerFile)}, 'utf8'));
const OK = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: ' + ANSWER.length + '\\r\\n\\r\\n'), ANSWER]);
${netFloorServerSource(`if (!(${bodyCheck})(JSON.parse(body.toString()))) throw new Error('not the body expected');
      sock.write(OK);`)}.listen(process.env.BLUEPRINT_SOCKET);`;
  const out = {};
  for (const [name, source] of [
    ['kit', kit],
    ['floor', floor],
  ]) {
    const file = await bundle(source, `${name}-${route.replace(/\W/g, '')}`);
    const socketPath = join(work, `${name}-${children.length}.sock`);
    const child = spawn(process.execPath, [...nodeFlags, file], {
      env: { PATH: process.env.PATH, BLUEPRINT_SOCKET: socketPath },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    for (let i = 0; !readdirSync(work).includes(socketPath.split('/').pop()); i++) {
      if (i > 200 || child.exitCode !== null) throw new Error(`the ${name} server did not start`);
      await sleep(25);
    }
    await sleep(100);
    ungroups.push(likeAContainer(child.pid, 2, `layers-${name}`));
    out[name] = { pid: child.pid, socketPath };
  }
  return out;
}

/** One side through a socket: `inFlight` clients, each taking the next body until all are sent. */
function socketSide(pid, socketPath, route, bodies, inFlight, check) {
  const clients = Array.from({ length: inFlight }, () => new UnixHttpClient({ socketPath }));
  const call = async (client, body) => {
    const res = await client.request({
      method: 'POST',
      path: route,
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 60_000,
    });
    if (res.status !== 200) throw new Error(`${route}: ${res.status} ${res.body}`);
    return check(res.body.toString('utf8'));
  };
  return {
    pid,
    first: () => call(clients[0], bodies[0]),
    pass: async () => {
      const [t0, c0, w0] = [threadNs(pid), process.cpuUsage(), performance.now()];
      let next = 0;
      await Promise.all(
        clients.map(async (c) => {
          while (next < bodies.length) await call(c, bodies[next++]);
        }),
      );
      const wall = performance.now() - w0;
      const c = process.cpuUsage(c0);
      const t1 = threadNs(pid);
      const threads = Object.fromEntries(
        Object.keys(t1).map((k) => [k, (t1[k] - (t0[k] ?? 0)) / 1000 / bodies.length]),
      );
      return {
        wallUs: (wall * 1000) / bodies.length,
        clientUs: (c.user + c.system) / bodies.length,
        threads,
      };
    },
    close: () => {
      for (const c of clients) c.close();
    },
  };
}

/** Rounds of every side taking turns (the order rotates); a table of medians. */
async function measure(title, sides, extra = {}) {
  const names = Object.keys(sides);
  const runs = Object.fromEntries(names.map((k) => [k, []]));
  for (const k of names) await sides[k].pass(); // warm every side once
  const load0 = loadavg()[0];
  for (let r = 0; r < ROUNDS; r++)
    for (let j = 0; j < names.length; j++) {
      const k = names[(r + j) % names.length];
      const before = await extra[k]?.before?.();
      const m = await sides[k].pass();
      if (extra[k]) Object.assign(m, await extra[k].after(before));
      runs[k].push(m);
    }
  console.log(
    `\n${title}; load ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}; ${ROUNDS} rounds; µs a request, medians`,
  );
  console.log('| side | wall | server CPU (by thread) | client CPU | |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const k of names) {
    const rs = runs[k];
    const threadNames = [...new Set(rs.flatMap((m) => Object.keys(m.threads)))];
    const byThread = threadNames
      .map((t) => [t, median(rs.map((m) => m.threads[t] ?? 0))])
      .filter(([, us]) => us >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([t, us]) => `${t} ${us.toFixed(1)}`)
      .join(', ');
    const total = median(rs.map((m) => Object.values(m.threads).reduce((a, b) => a + b, 0)));
    const note =
      rs[0].walkUs !== undefined ? `inside searchKnn ${median(rs.map((m) => m.walkUs)).toFixed(1)}` : '';
    console.log(
      `| ${k} | ${median(rs.map((m) => m.wallUs)).toFixed(1)} | ${total.toFixed(1)} (${byThread}) | ${median(rs.map((m) => m.clientUs)).toFixed(1)} | ${note} |`,
    );
  }
  return runs;
}

async function embeddings() {
  const { ensureGloveModel, defaultModelCache } = await import('../models/glove.ts');
  const model = ensureGloveModel(defaultModelCache());
  const { makePackageSource } = await import('../../modules/embeddings/package.ts');
  const src = join(work, 'embeddings');
  await makePackageSource({ model, out: src });
  const { arch } = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(src, 'Containerfile'), 'utf8'))?.[1] ?? '';
  const flags = JSON.parse(`[${entry}]`).filter((x) => x.startsWith('--'));
  const tunables = { GLIBC_TUNABLES: manifestEnv('embeddings').GLIBC_TUNABLES };
  const texts = sentences(REQUESTS * 32);
  const bodies = [];
  for (let i = 0; i < texts.length; i += 32)
    bodies.push(JSON.stringify({ input: texts.slice(i, i + 32), encoding_format: 'base64' }));
  const socketPath = join(work, 'embeddings.sock');
  const child = spawn(process.execPath, [...flags, join(src, 'rootfs', arch, 'app', 'server.mjs')], {
    env: {
      ...serviceEnv(src, 'glove-50k'),
      ...tunables,
      BLUEPRINT_SOCKET: socketPath,
      EMBEDDINGS_MODEL_DIR: join(src, 'payload/models'),
      EMBEDDINGS_FILES_ROOT: join(src, 'payload'),
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(child);
  await waitForSocket(socketPath, 120);
  ungroups.push(likeAContainer(child.pid, 2, 'layers-embeddings'));
  const route = '/v1/embeddings';
  const sides = { service: socketSide(child.pid, socketPath, route, bodies, 1, decodeEmbeddings) };
  const answer = JSON.stringify(JSON.parse(await socketClientText(socketPath, route, bodies[0])));
  const canned = await cannedServers(route, answer, '(j) => Array.isArray(j.input)', flags);
  for (const k of ['kit', 'floor'])
    sides[k] = socketSide(canned[k].pid, canned[k].socketPath, route, bodies, 1, decodeEmbeddings);
  const engine = await inProcessChild(model, String(texts.length), 'engine', { cpus: 2, env: tunables });
  const engineSide = {
    pass: async () => {
      const t0 = threadNs(engine.pid);
      const m = await engine.pass();
      const t1 = threadNs(engine.pid);
      const threads = Object.fromEntries(
        Object.keys(t1).map((k) => [k, (t1[k] - (t0[k] ?? 0)) / 1000 / bodies.length]),
      );
      return { wallUs: 32e6 / m.sps, clientUs: 0, threads };
    },
  };
  try {
    await measure(`embeddings, GloVe, ${REQUESTS} batches of 32 sentences, one in flight`, {
      engine: engineSide,
      ...sides,
    });
  } finally {
    engine.close();
    for (const s of Object.values(sides)) s.close();
  }
}

/** One request's answer text through a fresh client (the canned servers answer these bytes). */
async function socketClientText(socketPath, route, body) {
  const client = new UnixHttpClient({ socketPath });
  try {
    const res = await client.request({
      method: 'POST',
      path: route,
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 60_000,
    });
    return res.body.toString('utf8');
  } finally {
    client.close();
  }
}

async function vectors() {
  const N = Number(o.points);
  const { data, queryArrays } = gloveSet({ N, Q: 1000, D: 100, K: 10 });
  const vwork = join(work, 'vectors');
  mkdirSync(vwork);
  const svc = await hostProcess({ root: repo, work: vwork, env: {} });
  children.push({
    kill: () => {
      try {
        process.kill(svc.pid, 'SIGKILL');
      } catch {}
    },
  }); // gone once closed
  const admin = new UnixHttpClient({ socketPath: svc.socket });
  const api = async (method, path, body) => {
    const res = await admin.request({
      method,
      path,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
      timeoutMs: 600_000,
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${res.body}`);
    const j = JSON.parse(res.body.toString());
    return j.result ?? j;
  };
  // full_scan_threshold 0: the graph is walked at any size, as in the bench's 100,000 points.
  await api('PUT', '/collections/glove', {
    vectors: { size: 100, distance: 'Cosine' },
    hnsw_config: { m: 32, ef_construct: 200, full_scan_threshold: 0 },
  });
  for (let i = 0; i < N; i += 1000)
    await api('PUT', '/collections/glove/points?wait=true', {
      points: data.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: Array.from(v) })),
    });
  const route = '/collections/glove/points/query';
  const bodies = queryArrays.map((v) => JSON.stringify({ query: v, limit: 10, params: { hnsw_ef: 128 } }));
  const points = (text) => JSON.parse(text).result.points;
  const sides = { service: socketSide(svc.pid, svc.socket, route, bodies, 4, points) };
  const answer = await socketClientText(svc.socket, route, bodies[0]);
  const flags = JSON.parse(
    `[${/ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(repo, 'modules/vectors/Containerfile'), 'utf8'))[1]}]`,
  ).filter((x) => x.startsWith('--'));
  const canned = await cannedServers(route, answer, '(j) => Array.isArray(j.query)', flags);
  for (const k of ['kit', 'floor'])
    sides[k] = socketSide(canned[k].pid, canned[k].socketPath, route, bodies, 4, points);
  const walkMs = async () =>
    (await api('GET', '/telemetry')).collections.collections.find((c) => c.id === 'glove')?.searches
      .hnsw_ms ?? Number.NaN;
  try {
    await measure(`vectors, ${N} points, one query a request at hnsw_ef 128, 4 in flight`, sides, {
      service: {
        before: walkMs,
        after: async (h0) => ({ walkUs: (((await walkMs()) - h0) * 1000) / bodies.length }),
      },
    });
  } finally {
    for (const s of Object.values(sides)) s.close();
    admin.close();
    await svc.close();
  }
}

try {
  if (o.module === 'embeddings' || o.module === 'both') await embeddings();
  if (o.module === 'vectors' || o.module === 'both') await vectors();
} finally {
  for (const c of children) c.kill('SIGKILL');
  await sleep(300);
  for (const u of ungroups) u?.();
  ungroups.length = 0;
  rmSync(work, { recursive: true, force: true });
}
