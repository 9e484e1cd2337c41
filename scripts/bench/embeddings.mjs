#!/usr/bin/env node
/**
 * Embeddings throughput and memory (Node 24: `npm run bench`, or `npx node scripts/bench/embeddings.mjs`).
 *
 * For the tiny BERT fixture, a model shaped like all-MiniLM-L6-v2 (random weights,
 * scripts/models/minilm-shaped.ts) and the GloVe model, sentences per second at batch 32 and
 * resident memory of the serving process, these ways:
 *   in-process   the module's engine called directly (a child process, so its memory is its own);
 *   library      transformers.js's feature-extraction pipeline in-process, what a user who embeds in
 *                their own process would run (same model, threads and session options; the bench
 *                checks every way answers the same vector): a second ratio beside each figure;
 *   socket       the service (esbuild bundle) as a plain host process, HTTP over a unix socket;
 *   sandbox      the same service in its Podman sandbox (read-only root, no caps, no network,
 *                user namespace, memory/pids limits), HTTP over the bind-mounted socket;
 *   sandbox-float  the same, answers as JSON numbers instead of base64.
 * The clients ask `encoding_format: "base64"` and decode the vectors to Float32Arrays, as the
 * official OpenAI clients do by default; the in-process run gets Float32Arrays too. The client is
 * the kit's HTTP/1.1 client (modules/kit/client, what rag calls this service with), or node:http's
 * with --client node-http.
 * The ways take turns, one pass each per round (the order rotates), so each round's ratios compare
 * passes run under the same load; the figures are medians over the rounds, with their spread.
 * Options: --json (one JSON document), --rounds N (default 5), --sentences N per pass (default: per
 * model), --client kit|node-http (default kit), --no-sandbox, --models tiny-bert,minilm-shaped,glove-50k, --root-cgroup (leave the host
 * processes in the root CPU group: see likeAContainer), --compare-worker (a second host process with
 * EMBEDDINGS_INLINE_MS=off: every batch through the worker thread, as before issue 20's change),
 * --glibc-tunables STR (GLIBC_TUNABLES=STR for every serving process alike: the in-process children,
 * the host processes and the sandbox; '' for none). Default: the manifest's (glibc.malloc.hugetlb=1,
 * huge pages for malloc's memory where the host's THP mode is `madvise`), given to every way too,
 * the in-process ones included: a setting that speeds the engine up is never given to one side alone.
 * Each way also reports CPU time per 1,000 sentences: the serving process's (all its threads) and
 * the bench's own as the client.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CPU_PARENT, likeAContainer } from './_cpu-group.mjs';
import {
  BATCH,
  cpuOf,
  decodeEmbeddings,
  inProcessChild,
  memoryOf,
  pass,
  podman,
  sentences,
  serviceEnv,
  startSandbox,
  waitForSocket,
} from './_embeddings-procs.mjs';
import { importBundled, manifestEnv } from './_lib.mjs';

const repo = resolve(import.meta.dirname, '../..');
const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean' },
    sentences: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    models: { type: 'string' },
    'no-sandbox': { type: 'boolean' },
    'root-cgroup': { type: 'boolean' },
    'compare-worker': { type: 'boolean' },
    'glibc-tunables': { type: 'string' },
    client: { type: 'string' },
  },
});
/** The same glibc tunables for every way that serves: the manifest's unless --glibc-tunables says. */
const manifestTunables = manifestEnv('embeddings').GLIBC_TUNABLES;
const tunables = opts['glibc-tunables'] ?? manifestTunables;
const TUNABLES = tunables !== undefined ? { GLIBC_TUNABLES: tunables } : {};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const SANDBOX_CPUS = 2;
let grouped = false;

/** One pass, with the serving process's CPU time and the bench's own (the client's), per 1,000 sentences. */
async function timedPass(pid, texts, embedBatch) {
  const [cpu0, client0] = [cpuOf(pid), process.cpuUsage()];
  const sps = await pass(texts, embedBatch);
  const client = process.cpuUsage(client0);
  const per1k = 1000 / texts.length;
  return {
    sps,
    cpuMs: (cpuOf(pid) - cpu0) * per1k,
    clientCpuMs: ((client.user + client.system) / 1000) * per1k,
  };
}

/**
 * The client: by default the kit's HTTP/1.1 client over the unix socket (modules/kit/client, what
 * rag calls this service with: the request in one write, kept-alive), --client node-http for
 * node:http's with a keep-alive Agent (~0.1-0.2 ms more CPU a request here, issue 20). Both send
 * the same JSON and decode the same answer.
 */
const CLIENT = opts.client ?? 'kit';
if (CLIENT !== 'kit' && CLIENT !== 'node-http') throw new Error('--client is kit or node-http');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const kitClients = new Map();

const UnixHttpClient =
  CLIENT === 'kit' ? (await importBundled('modules/kit/client/unix-http.ts')).UnixHttpClient : undefined;

/** POST /v1/embeddings; the answer's vectors as Float32Arrays. */
async function post(socketPath, body) {
  const payload = JSON.stringify(body);
  if (UnixHttpClient) {
    let client = kitClients.get(socketPath);
    if (!client) {
      client = new UnixHttpClient({ socketPath });
      kitClients.set(socketPath, client);
    }
    const res = await client.request({
      method: 'POST',
      path: '/v1/embeddings',
      headers: { 'content-type': 'application/json' },
      body: payload,
      timeoutMs: 60_000,
    });
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`${res.status} ${text}`);
    return decodeEmbeddings(text);
  }
  return new Promise((done, fail) => {
    const req = request(
      {
        socketPath,
        agent,
        method: 'POST',
        path: '/v1/embeddings',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return fail(new Error(`${res.statusCode} ${text}`));
          done(decodeEmbeddings(text));
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/** A way to embed that can run one timed pass at a time: { pass(): {sps, rssMiB, peakMiB}, close() }. */
async function overSocket(socketPath, pid, texts, format) {
  const embed = (b) => post(socketPath, { input: b, encoding_format: format });
  await pass(texts, embed); // warm-up
  return {
    probe: (await embed([texts[0]]))[0],
    pass: async () => ({ ...(await timedPass(pid, texts, embed)), ...memoryOf(pid) }),
  };
}

/** An in-process way in a child process of its own, in a CPU group like the sandbox's unless --root-cgroup. */
async function inProcess(modelDir, count, way) {
  const cpus = opts['root-cgroup'] ? undefined : SANDBOX_CPUS;
  const child = await inProcessChild(modelDir, count, way, { cpus, env: TUNABLES });
  grouped = child.grouped;
  return child;
}

async function hostProcess(src, model, sockDir, texts, extraEnv = {}, socketName = 'host.sock') {
  const socketPath = join(sockDir, socketName);
  // One image root per architecture since issue 22: rootfs/ARCH/app (the manifest's arch).
  const { arch } = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  const app = existsSync(join(src, 'rootfs/app'))
    ? join(src, 'rootfs/app')
    : join(src, 'rootfs', arch, 'app');
  // The image's Node flags (its ENTRYPOINT), so the host process runs as the container does.
  const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(src, 'Containerfile'), 'utf8'))?.[1] ?? '';
  const flags = JSON.parse(`[${entry}]`).filter((a) => a.startsWith('--'));
  const child = spawn(process.execPath, [...flags, join(app, 'server.mjs')], {
    env: {
      ...serviceEnv(src, model),
      ...TUNABLES,
      BLUEPRINT_SOCKET: socketPath,
      EMBEDDINGS_MODEL_DIR: join(src, 'payload/models'),
      EMBEDDINGS_FILES_ROOT: join(src, 'payload'),
      ...extraEnv,
    },
    stdio: 'ignore',
  });
  try {
    await waitForSocket(socketPath, 120);
    const ungroup = opts['root-cgroup'] ? undefined : likeAContainer(child.pid, SANDBOX_CPUS);
    const close = () => {
      child.kill('SIGTERM');
      ungroup?.();
    };
    return { ...(await overSocket(socketPath, child.pid, texts, 'base64')), close };
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
}

async function sandboxed(src, model, sockDir, image, texts) {
  const dir = join(sockDir, 'sandbox');
  mkdirSync(dir);
  const { socket, pid, close } = await startSandbox(src, model, dir, image, SANDBOX_CPUS, TUNABLES);
  try {
    return {
      base64: { ...(await overSocket(socket, pid, texts, 'base64')), close },
      float: await overSocket(socket, pid, texts, 'float'),
    };
  } catch (err) {
    close();
    throw err;
  }
}

const { makePackageSource } = await import('../../modules/embeddings/package.ts');
const { ensureGloveModel, defaultModelCache } = await import('../models/glove.ts');
const { ensureMinilmShapedModel } = await import('../models/minilm-shaped.ts');
const work = mkdtempSync(join(tmpdir(), 'blueprint-bench-emb-'));
const image = `localhost/blueprint-bench-embeddings:${process.pid}`;
const ROUNDS = Number(opts.rounds);
let useSandbox = !opts['no-sandbox'];
const rows = [];
// Sentences per pass: a real encoder's pass takes ~60x longer than the lookup's.
const MODELS = [
  { dir: join(repo, 'test/fixtures/models/tiny-bert'), count: 512 },
  { dir: ensureMinilmShapedModel(defaultModelCache()), count: 128 },
  // 128 requests a pass: shorter passes are mostly scheduling noise on a loaded box.
  { dir: ensureGloveModel(defaultModelCache()), count: 4096 },
].filter((m) => !opts.models || opts.models.split(',').includes(m.dir.split('/').pop()));
try {
  for (const [i, { dir: model, count: defaultCount }] of MODELS.entries()) {
    const name = model.split('/').pop();
    const count = Number(opts.sentences ?? defaultCount);
    const texts = sentences(count);
    const src = join(work, `src-${i}`);
    await makePackageSource({ model, out: src });
    if (useSandbox && i === 0) {
      try {
        podman('build', '-q', '-t', image, src);
      } catch (err) {
        useSandbox = false;
        console.error(`sandbox column skipped: podman build failed (${err.stderr ?? err.message})`.trim());
      }
    }
    const sockDir = join(work, `sock-${i}`);
    mkdirSync(sockDir);
    const ways = {};
    try {
      ways.inProcess = await inProcess(model, count, 'engine');
      ways.library = await inProcess(model, count, 'library');
      ways.socket = await hostProcess(src, name, sockDir, texts);
      // The same host process with every batch in the worker thread (as before issue 20's change).
      if (opts['compare-worker'])
        ways.socketWorker = await hostProcess(
          src,
          name,
          sockDir,
          texts,
          { EMBEDDINGS_INLINE_MS: 'off' },
          'host-worker.sock',
        );
      if (useSandbox) {
        const { base64, float } = await sandboxed(src, name, sockDir, image, texts);
        ways.sandbox = base64;
        ways.sandboxFloat = float;
      }
      const names = Object.keys(ways);
      // Every way answers the same vector for the same input (same model, pooling, normalisation).
      for (const k of names) {
        const [a, b] = [ways.inProcess.probe, ways[k].probe];
        const diff = Math.max(...a.map((x, d) => Math.abs(x - b[d])));
        if (a.length !== b.length || !(diff <= 1e-5))
          throw new Error(`${k} answers another vector than the engine in-process (max difference ${diff})`);
      }
      const runs = Object.fromEntries(names.map((k) => [k, []]));
      for (let r = 0; r < ROUNDS; r++)
        for (let j = 0; j < names.length; j++) {
          const k = names[(r + j) % names.length]; // rotate who goes first
          runs[k].push(await ways[k].pass());
        }
      const row = { model: name, batch: BATCH, sentences: count, rounds: ROUNDS };
      for (const k of names) {
        const ratios = runs[k].map((m, r) => m.sps / runs.inProcess[r].sps);
        const vsLibrary = runs[k].map((m, r) => m.sps / runs.library[r].sps);
        row[k] = {
          sps: median(runs[k].map((m) => m.sps)),
          rssMiB: median(runs[k].map((m) => m.rssMiB)),
          peakMiB: Math.max(...runs[k].map((m) => m.peakMiB)),
          ratio: median(ratios),
          ratioMin: Math.min(...ratios),
          ratioMax: Math.max(...ratios),
          vsLibrary: median(vsLibrary),
          vsLibraryMin: Math.min(...vsLibrary),
          vsLibraryMax: Math.max(...vsLibrary),
          cpuMs: median(runs[k].map((m) => m.cpuMs)),
          clientCpuMs: median(runs[k].map((m) => m.clientCpuMs)),
        };
      }
      rows.push(row);
    } finally {
      for (const w of Object.values(ways))
        try {
          w.close?.();
        } catch (err) {
          console.error(`cleaning up: ${err.message}`);
        }
    }
  }
} finally {
  agent.destroy();
  for (const c of kitClients.values()) c.close();
  if (useSandbox) execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}

const { figure, load } = await import('./_lib.mjs');
if (opts.json) {
  console.log(
    JSON.stringify(
      { bench: 'embeddings', load: load(), client: CLIENT, cgroupLikeSandbox: grouped, ...TUNABLES, rows },
      null,
      2,
    ),
  );
} else {
  // Ratios against the in-process run of the same model in the same round: comparable across machines.
  const f = (m) =>
    m
      ? `${m.sps.toFixed(0).padStart(7)} sent/s (${m.ratio.toFixed(2)}x, rounds ${m.ratioMin.toFixed(2)}-${m.ratioMax.toFixed(2)})  ` +
        `vs library ${m.vsLibrary.toFixed(2)}x  ${m.rssMiB.toFixed(0).padStart(4)} MiB RSS  CPU ${m.cpuMs.toFixed(0)} ms + client ${m.clientCpuMs.toFixed(0)} ms / 1,000 sentences`
      : 'skipped';
  console.log(
    `embeddings, batch ${BATCH}, medians of ${ROUNDS} rounds (one pass of each way per round); ${load()}; GLIBC_TUNABLES=${TUNABLES.GLIBC_TUNABLES || '(none)'} for every way; client: ${CLIENT}`,
  );
  console.log(
    grouped
      ? `in-process and socket runs each in a CPU cgroup beside the container's (${CPU_PARENT}, quota ${SANDBOX_CPUS} CPUs)`
      : 'in-process and socket runs in the root CPU group (--root-cgroup, or no cgroup v1 libpod_parent here)',
  );
  for (const r of rows) {
    console.log(`${r.model} (${r.sentences} sentences of 6-24 words a pass)`);
    for (const k of ['inProcess', 'library', 'socket', 'socketWorker', 'sandbox', 'sandboxFloat'])
      if (k !== 'socketWorker' || r[k]) console.log(`  ${k.padEnd(12)} ${f(r[k])}`);
  }
  const goals = { 'minilm-shaped': 0.9, 'glove-50k': 0.7 };
  const what = {
    'minilm-shaped': 'embeddings through the sandbox socket vs in-process, all-MiniLM-L6-v2 shape',
    'glove-50k': 'embeddings through the sandbox socket vs in-process, GloVe static model',
  };
  const spread = (m, key) =>
    `${m[key].toFixed(2)}× (median of ${m.rounds ?? ROUNDS}; rounds ${m[`${key}Min`].toFixed(2)}–${m[`${key}Max`].toFixed(2)})`;
  for (const r of rows)
    if (r.sandbox && goals[r.model]) {
      figure(
        what[r.model],
        spread(r.sandbox, 'ratio'),
        `≥ ${goals[r.model]}×`,
        r.sandbox.ratio >= goals[r.model],
        { id: `embeddings.${r.model}`, n: r.sandbox.ratio, unit: '×', better: 'larger' },
      );
      // The same against what a user embedding in their own process runs: transformers.js's pipeline.
      figure(
        `${what[r.model]} (in-process: transformers.js pipeline)`,
        spread(r.sandbox, 'vsLibrary'),
        `≥ ${goals[r.model]}×`,
        r.sandbox.vsLibrary >= goals[r.model],
        { id: `embeddings.${r.model}.vs-pipeline`, n: r.sandbox.vsLibrary, unit: '×', better: 'larger' },
      );
    }
}
