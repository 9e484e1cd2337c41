/**
 * The llm service itself (its bundle, server.mjs, as the image runs it, without the sandbox) on a
 * machine with an NVIDIA GPU: started with the manifest's CUDA settings, asked /info, then a chat
 * twice; stopped and started again, and asked once more, to see whether CUDA's kernel cache (which
 * the manifest keeps in the module's data folder, CUDA_CACHE_PATH) spares the second start the
 * compile. HOME points nowhere writable, as in the read-only container. Node built-ins only: run
 * by `sh scripts/device/llm-gpu.sh serve` with the Node it carried. Prints one JSON object.
 *
 *   node llm-serve-check.mjs APP_LLM_DIR MODEL.gguf
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { basename, dirname, join } from 'node:path';

const [app, model] = process.argv.slice(2);
if (!app || !model) {
  console.error('usage: node llm-serve-check.mjs APP_LLM_DIR MODEL.gguf');
  process.exit(2);
}
const work = '/tmp/llm-serve';
rmSync(work, { recursive: true, force: true });
const cache = join(work, 'data/cuda-cache');
mkdirSync(join(work, 'data'), { recursive: true });
const name = basename(dirname(model));
const sha = createHash('sha256').update(readFileSync(model)).digest('hex');
const socket = join(work, 'api.sock');
const manifest = JSON.parse(
  readFileSync(new URL('../../modules/llm/manifest.json', import.meta.url), 'utf8'),
);
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  BLUEPRINT_SOCKET: socket,
  LLM_MODEL_DIR: dirname(dirname(model)),
  LLM_MODEL: name,
  LLM_FILES_ROOT: dirname(dirname(model)),
  LLM_FILES: JSON.stringify({ [`${name}/${basename(model)}`]: sha }),
  LLM_DEVICE: 'auto',
  LLM_CONTEXT: '2048',
  // The manifest's own values, the cache moved under this run's data folder.
  CUDA_CACHE_MAXSIZE: manifest.service.env.CUDA_CACHE_MAXSIZE,
  CUDA_CACHE_PATH: cache,
};

const size = (dir) => {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
      if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  } catch {}
  return n;
};

function call(method, path, body) {
  const data = body ? Buffer.from(JSON.stringify(body)) : undefined;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, text, ms: Math.round(performance.now() - t0) }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function start() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(app, 'dist/server.mjs')], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => {
    log += c.toString('utf8');
  });
  while (!/serving /.test(log)) {
    if (child.exitCode !== null || performance.now() - t0 > 120_000)
      throw new Error(`the server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, log: () => log, startMs: Math.round(performance.now() - t0) };
}

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(40);
const chat = async () => {
  const r = await call('POST', '/v1/chat/completions', {
    messages: [{ role: 'user', content: TEXT }],
    max_tokens: 32,
    temperature: 0,
  });
  const j = r.status === 200 ? JSON.parse(r.text) : undefined;
  return { status: r.status, ms: r.ms, usage: j?.usage, error: j ? undefined : r.text.slice(0, 300) };
};

const report = { runs: [] };
for (const round of ['first start', 'second start']) {
  const s = await start();
  const info = JSON.parse((await call('GET', '/info')).text);
  const chats = [await chat(), await chat()];
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
  report.runs.push({
    round,
    startMs: s.startMs,
    device: info.device,
    deviceReason: info.deviceReason,
    gpuLayers: info.gpuLayers,
    chats,
    cudaCacheBytes: size(cache),
    log: s
      .log()
      .split('\n')
      .filter((l) => /CUDA|device|serving/i.test(l))
      .slice(0, 8),
  });
}
console.log(JSON.stringify(report, null, 2));
