#!/usr/bin/env node
/**
 * Embeddings throughput and memory (Node 24: `npm run bench`, or `node scripts/bench/embeddings.mjs`).
 *
 * For the tiny BERT fixture and the GloVe model, sentences per second at batch 32 and resident
 * memory of the serving process, three ways:
 *   in-process   the runtime called directly (a child process, so its memory is its own);
 *   socket       the service (esbuild bundle) as a plain host process, HTTP over a unix socket;
 *   sandbox      the same service in its Podman sandbox (read-only root, no caps, no network,
 *                user namespace, memory/pids limits), HTTP over the bind-mounted socket.
 * socket - in-process is the cost of the API; sandbox - socket the cost of the container.
 * Options: --json (one JSON document), --sentences N per pass (default 1024), --no-sandbox.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const repo = resolve(import.meta.dirname, '../..');
const BATCH = 32;
const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean' },
    sentences: { type: 'string', default: '1024' },
    'no-sandbox': { type: 'boolean' },
    worker: { type: 'string' },
    model: { type: 'string' },
  },
});

const WORDS = `the a cat dog kitten sits sat on mat rug stock prices fell sharply today market model box edge
  service socket vector sentence small quick slow house room table coffee water book read world hello data`.split(
  /\s+/,
);
/** Deterministic sentences of 6 to 24 words. */
function sentences(n) {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: 6 + Math.floor(rnd() * 19) }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(
      ' ',
    ),
  );
}

/** Best of five timed passes (the box is shared: the fastest pass is the least disturbed), after a warm-up pass. */
async function timeBatches(texts, embedBatch) {
  for (let i = 0; i < texts.length; i += BATCH) await embedBatch(texts.slice(i, i + BATCH));
  const rates = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < texts.length; i += BATCH) await embedBatch(texts.slice(i, i + BATCH));
    rates.push(texts.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return Math.max(...rates);
}

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

// --- in-process worker --------------------------------------------------------------------------
if (opts.worker === 'inproc') {
  const { createEngine } = await import('../../modules/embeddings/server/engine.ts');
  const [dir, name] = [resolve(opts.model, '..'), opts.model.split('/').pop()];
  const engine = await createEngine({ modelDir: dir, model: name, device: 'cpu', log: () => {} });
  const sps = await timeBatches(sentences(Number(opts.sentences)), (b) =>
    engine.embed(b, { truncate: true }),
  );
  process.stdout.write(JSON.stringify({ sps, ...memoryOf(process.pid) }));
  process.exit(0);
}

// Keep-alive, as real clients (the OpenAI SDKs, requests.Session) do.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(socketPath, body) {
  return new Promise((done, fail) => {
    const payload = JSON.stringify(body);
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
        res.on('end', () =>
          res.statusCode === 200
            ? done(chunks.length)
            : fail(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`)),
        );
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

async function waitForSocket(socketPath, seconds) {
  for (let i = 0; i < seconds * 10; i++) {
    const ok = await new Promise((r) => {
      const req = request({ socketPath, path: '/health' }, (res) => r(res.statusCode === 200));
      req.on('error', () => r(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not answer on ${socketPath} within ${seconds}s`);
}

async function overSocket(socketPath, pid) {
  const sps = await timeBatches(sentences(Number(opts.sentences)), (b) => post(socketPath, { input: b }));
  return { sps, ...memoryOf(pid) };
}

function inProcess(modelDir) {
  const out = execFileSync(
    process.execPath,
    [import.meta.filename, '--worker', 'inproc', '--model', modelDir, '--sentences', opts.sentences],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return JSON.parse(out);
}

async function hostProcess(src, model, sockDir) {
  const socketPath = join(sockDir, 'host.sock');
  const child = spawn(process.execPath, [join(src, 'rootfs/app/server.mjs')], {
    env: {
      ...serviceEnv(src, model),
      BLUEPRINT_SOCKET: socketPath,
      EMBEDDINGS_MODEL_DIR: join(src, 'payload/models'),
      EMBEDDINGS_FILES_ROOT: join(src, 'payload'),
    },
    stdio: 'ignore',
  });
  try {
    await waitForSocket(socketPath, 60);
    return await overSocket(socketPath, child.pid);
  } finally {
    child.kill('SIGTERM');
  }
}

function serviceEnv(src, model) {
  const manifest = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  return {
    EMBEDDINGS_MODEL: model,
    EMBEDDINGS_FILES: JSON.stringify(manifest.files),
    EMBEDDINGS_MAX_BATCH: '64',
  };
}

const podman = (...args) =>
  execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

async function sandboxed(src, model, sockDir, image) {
  const name = `blueprint-bench-embeddings-${process.pid}`;
  const dir = join(sockDir, 'sandbox');
  mkdirSync(dir);
  const env = Object.entries({
    ...serviceEnv(src, model),
    BLUEPRINT_SOCKET: '/run/embeddings/api.sock',
    EMBEDDINGS_MODEL_DIR: '/models',
  });
  // The flags of the services layer's sandbox policy, spelled for the podman CLI.
  podman(
    'run',
    '-d',
    '--name',
    name,
    '--read-only',
    '--read-only-tmpfs=false',
    '--cap-drop',
    'all',
    '--security-opt',
    'no-new-privileges',
    '--network',
    'none',
    '--userns',
    'auto:size=65536',
    '--memory',
    '1g',
    '--pids-limit',
    '128',
    '--cpus',
    '2',
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,nodev',
    '-v',
    `${join(src, 'payload/models')}:/models:ro`,
    '-v',
    `${dir}:/run/embeddings:U`,
    ...env.flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image,
  );
  try {
    await waitForSocket(join(dir, 'api.sock'), 120);
    return await overSocket(join(dir, 'api.sock'), Number(podman('inspect', '-f', '{{.State.Pid}}', name)));
  } finally {
    podman('rm', '-f', '-t', '2', name);
  }
}

const { makePackageSource } = await import('../../modules/embeddings/package.ts');
const { ensureGloveModel, defaultModelCache } = await import('../models/glove.ts');
const work = mkdtempSync(join(tmpdir(), 'blueprint-bench-emb-'));
const image = `localhost/blueprint-bench-embeddings:${process.pid}`;
let useSandbox = !opts['no-sandbox'];
const rows = [];
try {
  const models = [join(repo, 'test/fixtures/models/tiny-bert'), ensureGloveModel(defaultModelCache())];
  for (const [i, model] of models.entries()) {
    const name = model.split('/').pop();
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
    const row = { model: name, batch: BATCH, sentences: Number(opts.sentences) };
    row.inProcess = inProcess(model);
    row.socket = await hostProcess(src, name, sockDir);
    if (useSandbox) row.sandbox = await sandboxed(src, name, sockDir, image);
    rows.push(row);
  }
} finally {
  agent.destroy();
  if (useSandbox) execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}

if (opts.json) {
  console.log(JSON.stringify({ bench: 'embeddings', rows }, null, 2));
} else {
  // Ratios against the in-process run of the same model in this run: comparable across machines.
  const f = (m, base) =>
    m
      ? `${m.sps.toFixed(0).padStart(7)} sent/s (${(m.sps / base.sps).toFixed(2)}x)  ` +
        `${m.rssMiB.toFixed(0).padStart(4)} MiB RSS (${(m.rssMiB / base.rssMiB).toFixed(2)}x)`
      : 'skipped';
  console.log(`embeddings, batch ${BATCH}, best of 5 passes over ${opts.sentences} sentences of 6-24 words`);
  for (const r of rows) {
    console.log(`${r.model}`);
    for (const k of ['inProcess', 'socket', 'sandbox'])
      console.log(`  ${k.padEnd(10)} ${f(r[k], r.inProcess)}`);
  }
}
