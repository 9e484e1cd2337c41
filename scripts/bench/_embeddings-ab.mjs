#!/usr/bin/env node
/**
 * A/B of two trees' embeddings service and kit client, taking turns in one run (issue 20's GloVe
 * figure): `flock /tmp/bench.lock node scripts/bench/_embeddings-ab.mjs --a /tmp/tree-a --b . --rounds 9`.
 * Each tree (a `git archive` snapshot with node_modules linked, or this checkout) gives the service's
 * bundle (its modules/embeddings/package.ts) run as a host process with the image's Node flags, in a
 * CPU group of 2 like the sandbox's, and the kit's HTTP/1.1 client (its modules/kit/client) that the
 * bench and rag use. The engine in-process (the figure's baseline) takes turns with both. Per way:
 * sentences/s, the ratio to in-process per round (median, spread), and CPU per 1,000 sentences of
 * the server (all threads) and of this process as the client, and of each side's three busiest
 * threads (/proc ticks of 10 ms: the service's worker, ONNX Runtime's pool thread, its event loop;
 * in-process the engine's thread and the pool's). `--batch 1 --model minilm-shaped --sentences 200`:
 * single queries, what rag waits for; `--env-b K=V` / `--unset-b K`: B's service with a variable
 * changed or without it (e.g. the manifest's MALLOC_ARENA_MAX, which the in-process side lacks);
 * `--flags-a F` / `--flags-b F`: more Node or V8 flags for that side's service (e.g. --v8-pool-size=1,
 * --trace-gc; NODE_OPTIONS takes only a few V8 flags). A/A first: two identical sides differed by
 * ~5 % in the service's CPU at load 5 (2026-12-07), so only a larger B/A, both ways round, says much.
 * Also per batch (PERF12): each side's CPU from /proc schedstat (ns, every live thread; finer than
 * the ticks), the service's sleeps (voluntary switches: each a wake-up later, dear on this VM's idle
 * vCPUs) and preemptions, the client's sleeps, and the threads that slept most (tid, name). `--env`
 * reaches the in-process engine too (EMBEDDINGS_THREADS: its inference threads); `--service-out F`
 * keeps the services' stdout in F-A and F-B (`--flags-b=--trace-gc`: note the `=`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { likeAContainer } from './_cpu-group.mjs';
import {
  busiestThreads,
  cpuOf,
  decodeEmbeddings,
  inProcessChild,
  pass,
  runTimeOf,
  sentences,
  serviceEnv,
  sleepiestThreads,
  switchesOf,
  threadCpuOf,
  waitForSocket,
} from './_embeddings-procs.mjs';
import { manifestEnv } from './_lib.mjs';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '9' },
    sentences: { type: 'string', default: '4096' },
    // 1: single queries, what rag waits for (with --model minilm-shaped: the engine's own-process cost)
    batch: { type: 'string', default: '32' },
    model: { type: 'string', default: 'glove-50k' },
    env: { type: 'string', multiple: true, default: [] },
    'env-b': { type: 'string', multiple: true, default: [] },
    // a variable of the service's (e.g. MALLOC_ARENA_MAX) that B's runs without, as in-process does
    'unset-b': { type: 'string', multiple: true, default: [] },
    'flags-a': { type: 'string', multiple: true, default: [] },
    'flags-b': { type: 'string', multiple: true, default: [] },
    // the services' stdout (e.g. --flags-b --trace-gc's lines) into FILE-A and FILE-B, not dropped
    'service-out': { type: 'string' },
  },
});
const repo = resolve(import.meta.dirname, '../..');
const model = join(repo, 'node_modules/.cache/blueprint-models', opts.model);
const work = mkdtempSync(join(tmpdir(), 'ke-ab-'));
const texts = sentences(Number(opts.sentences));
const TUNABLES = { GLIBC_TUNABLES: manifestEnv('embeddings').GLIBC_TUNABLES };
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const envOf = (list) => Object.fromEntries(list.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
const extraEnv = envOf(opts.env);
const batchSize = Number(opts.batch);

async function clientOf(tree, name) {
  const { build } = await import('esbuild');
  const file = join(work, `client-${name}.mjs`);
  await build({
    entryPoints: [join(tree, 'modules/kit/client/unix-http.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
  });
  return (await import(pathToFileURL(file).href)).UnixHttpClient;
}

async function service(tree, name) {
  const src = join(work, `src-${name}`);
  const { makePackageSource } = await import(pathToFileURL(join(tree, 'modules/embeddings/package.ts')).href);
  await makePackageSource({ model, out: src });
  const { arch } = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  const app = join(src, 'rootfs', arch, 'app');
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(src, 'Containerfile'), 'utf8'))?.[1] ?? '';
  const flags = JSON.parse(`[${entry}]`).filter((x) => x.startsWith('--'));
  const socketPath = join(work, `${name}.sock`);
  const env = {
    ...serviceEnv(src, opts.model),
    ...TUNABLES,
    BLUEPRINT_SOCKET: socketPath,
    EMBEDDINGS_MODEL_DIR: join(src, 'payload/models'),
    EMBEDDINGS_FILES_ROOT: join(src, 'payload'),
    ...extraEnv,
    ...(name === 'B' ? envOf(opts['env-b']) : {}),
  };
  if (name === 'B') for (const k of opts['unset-b']) delete env[k];
  const more = name === 'B' ? opts['flags-b'] : opts['flags-a'];
  const child = spawn(process.execPath, [...flags, ...more, join(app, 'server.mjs')], {
    env,
    stdio: [
      'ignore',
      opts['service-out'] ? openSync(`${opts['service-out']}-${name}`, 'w') : 'ignore',
      'inherit',
    ],
  });
  await waitForSocket(socketPath, 120);
  const ungroup = likeAContainer(child.pid, 2, `ke-${name}`);
  const client = new (await clientOf(tree, name))({ socketPath });
  const embed = async (batch) => {
    const res = await client.request({
      method: 'POST',
      path: '/v1/embeddings',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: batch, encoding_format: 'base64' }),
      timeoutMs: 60_000,
    });
    if (res.status !== 200) throw new Error(`${res.status} ${res.body}`);
    return decodeEmbeddings(res.body.toString('utf8'));
  };
  await pass(texts, embed, batchSize);
  return {
    pid: child.pid,
    probe: (await embed([texts[0]]))[0],
    pass: async () => {
      const [s0, t0, c0] = [cpuOf(child.pid), threadCpuOf(child.pid), process.cpuUsage()];
      const [w0, cw0, r0] = [switchesOf(child.pid), switchesOf(process.pid), runTimeOf(child.pid)];
      const sps = await pass(texts, embed, batchSize);
      const r1 = runTimeOf(child.pid);
      const c = process.cpuUsage(c0);
      const [w1, cw1] = [switchesOf(child.pid), switchesOf(process.pid)];
      const batches = Math.ceil(texts.length / batchSize);
      const per1k = 1000 / texts.length;
      return {
        sps,
        threads: busiestThreads(t0, threadCpuOf(child.pid), per1k),
        cpuMs: (cpuOf(child.pid) - s0) * per1k,
        clientCpuMs: ((c.user + c.system) / 1000) * per1k,
        // per batch: the service's sleeps and preemptions, and the client's (this process's) sleeps
        sleeps: (w1.voluntary - w0.voluntary) / batches,
        preempted: (w1.involuntary - w0.involuntary) / batches,
        clientSleeps: (cw1.voluntary - cw0.voluntary) / batches,
        sleepers: sleepiestThreads(w0, w1, batches),
        usBatch: (r1 - r0) / batches,
        clientUsBatch: (c.user + c.system) / batches,
      };
    },
    close: () => {
      client.close();
      child.kill('SIGTERM');
      ungroup?.();
    },
  };
}

const inProcess = async () => {
  const way = await inProcessChild(model, opts.sentences, 'engine', {
    cpus: 2,
    // --env reaches the in-process engine too (EMBEDDINGS_THREADS: its inference threads, as the service's)
    env: { ...TUNABLES, ...extraEnv },
    batch: batchSize,
  });
  return {
    ...way,
    pass: async () => {
      const [t0, w0, r0] = [threadCpuOf(way.pid), switchesOf(way.pid), runTimeOf(way.pid)];
      const m = await way.pass();
      const [w1, r1] = [switchesOf(way.pid), runTimeOf(way.pid)];
      const batches = Math.ceil(texts.length / batchSize);
      return {
        ...m,
        threads: busiestThreads(t0, threadCpuOf(way.pid), 1000 / texts.length),
        sleeps: (w1.voluntary - w0.voluntary) / batches,
        preempted: (w1.involuntary - w0.involuntary) / batches,
        clientSleeps: 0,
        usBatch: (r1 - r0) / batches,
        clientUsBatch: 0,
        sleepers: sleepiestThreads(w0, w1, batches),
      };
    },
  };
};

const ways = {};
try {
  ways.inProcess = await inProcess();
  ways.A = await service(resolve(opts.a), 'A');
  ways.B = await service(resolve(opts.b), 'B');
  const names = Object.keys(ways);
  for (const k of names) {
    const diff = Math.max(...ways.inProcess.probe.map((x, d) => Math.abs(x - ways[k].probe[d])));
    if (!(diff <= 1e-5)) throw new Error(`${k} answers another vector (max difference ${diff})`);
  }
  const runs = Object.fromEntries(names.map((k) => [k, []]));
  const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  for (let r = 0; r < Number(opts.rounds); r++)
    for (let j = 0; j < names.length; j++) {
      const k = names[(r + j) % names.length];
      runs[k].push(await ways[k].pass());
    }
  const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(
    `load ${load0} -> ${load1}; ${opts.rounds} rounds of ${opts.sentences} sentences in batches of ${batchSize}`,
  );
  for (const k of names) {
    const ratios = runs[k].map((m, r) => m.sps / runs.inProcess[r].sps);
    const f = (xs) => median(xs).toFixed(2);
    const sw = `; per batch: CPU µs server ${f(runs[k].map((m) => m.usBatch))} client ${f(runs[k].map((m) => m.clientUsBatch))}, service sleeps ${f(runs[k].map((m) => m.sleeps))}, preempted ${f(runs[k].map((m) => m.preempted))}, client sleeps ${f(runs[k].map((m) => m.clientSleeps))}\n          service threads' sleeps a batch (last round): ${runs[k].at(-1).sleepers}`;
    console.log(
      `${k.padEnd(9)} ${f(runs[k].map((m) => m.sps)).padStart(9)} sent/s  ratio ${f(ratios)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})  CPU/1k server ${f(runs[k].map((m) => m.cpuMs))} client ${f(runs[k].map((m) => m.clientCpuMs))} ms; busiest threads ${[0, 1, 2].map((t) => f(runs[k].map((m) => m.threads[t] ?? 0))).join(' / ')}${sw}`,
    );
  }
  const bOverA = runs.B.map((m, r) => m.sps / runs.A[r].sps);
  console.log(
    `B/A per round: median ${median(bOverA).toFixed(3)} [${bOverA.map((x) => x.toFixed(2)).join(' ')}]`,
  );
} finally {
  for (const w of Object.values(ways)) w.close();
  rmSync(work, { recursive: true, force: true });
}
