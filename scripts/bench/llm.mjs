// llm module: prompt processing and generation tokens/s, time to first token and resident memory,
// in-process node-llama-cpp vs the service's bundle through its unix socket (same threads, same
// model, alternating runs, medians; ratios are from one run on one machine).
//
//   node scripts/bench/llm.mjs [--model FILE.gguf] [--threads N] [--runs N]      (Node 24)
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { getLlama, LlamaCompletion, LlamaLogLevel } from 'node-llama-cpp';
import { median, root, tmp } from './_lib.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(root, 'test/fixtures/models/tiny-llama/tiny-llama-f32.gguf') },
    threads: { type: 'string', default: '1' }, // more only on a quiet machine: llama.cpp's threads spin
    runs: { type: 'string', default: '5' },
    prompt: { type: 'string', default: '96' },
    gen: { type: 'string', default: '128' },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
// A prompt of about N tokens (two-token words of the test vocabulary), the same text both ways.
const prompt = Array.from(
  { length: Number(values.prompt) / 2 },
  (_, i) => ['the code', 'will return'][i % 2],
).join(' ');
const gen = Number(values.gen);

async function inProcess() {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: values.model, useMmap: false });
  const ctx = await model.createContext({ contextSize: Math.min(model.trainContextSize, 4096), threads });
  const seq = ctx.getSequence();
  return {
    async run(i) {
      const c = new LlamaCompletion({ contextSequence: seq, autoDisposeSequence: false });
      const t0 = performance.now();
      let first = 0;
      let n = 0;
      await c.generateCompletion(`${i} ${prompt}`, {
        maxTokens: gen,
        temperature: 0,
        onToken: (t) => {
          if (!first) first = performance.now();
          n += t.length;
        },
      });
      const end = performance.now();
      c.dispose({ disposeSequence: false });
      return { ttft: first - t0, genTps: (n - 1) / ((end - first) / 1000), n };
    },
    rss: () => process.memoryUsage().rss,
    close: () => llama.dispose(),
  };
}

async function served() {
  const { bundleServer, placeRuntimeFiles } = await import('../../modules/llm/package.ts');
  const dir = tmp('bp-bench-llm-');
  await bundleServer(join(dir, 'app/llm/dist/server.mjs'));
  placeRuntimeFiles(join(dir, 'app'));
  const socket = join(dir, 'api.sock');
  const child = spawn(process.execPath, [join(dir, 'app/llm/dist/server.mjs')], {
    env: {
      PATH: process.env.PATH,
      BLUEPRINT_SOCKET: socket,
      LLM_MODEL_DIR: dirname(dirname(values.model)),
      LLM_MODEL: basename(dirname(values.model)),
      LLM_MODEL_FILE: basename(values.model),
      LLM_VERIFY: 'off',
      LLM_DEVICE: 'cpu',
      LLM_THREADS: String(threads),
      LLM_CONTEXT: '4096',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => {
    log += c;
  });
  for (let i = 0; i < 600 && !/serving /.test(log); i++) await new Promise((r) => setTimeout(r, 50));
  if (!/serving /.test(log)) throw new Error(`the service did not start: ${log}`);
  return {
    run: (i) =>
      new Promise((done, fail) => {
        const t0 = performance.now();
        let first = 0;
        let n = 0;
        const req = request(
          {
            socketPath: socket,
            method: 'POST',
            path: '/v1/completions',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let buf = '';
            res.on('data', (c) => {
              buf += c;
              let i = buf.indexOf('\n\n');
              while (i >= 0) {
                const ev = buf.slice(0, i);
                buf = buf.slice(i + 2);
                i = buf.indexOf('\n\n');
                if (!ev.startsWith('data: {')) continue;
                const usage = JSON.parse(ev.slice(6)).usage;
                if (usage) n = usage.completion_tokens;
                else if (!first && JSON.parse(ev.slice(6)).choices[0]?.text) first = performance.now();
              }
            });
            // Until the last byte, as a client sees it (events may carry several tokens each).
            res.on('end', () => {
              const end = performance.now();
              done({ ttft: first - t0, genTps: (n - 1) / ((end - first) / 1000), n });
            });
          },
        );
        req.on('error', fail);
        req.end(
          JSON.stringify({
            prompt: `${i} ${prompt}`,
            max_tokens: gen,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
          }),
        );
      }),
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
    },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const a = await inProcess();
const b = await served();
await a.run(-1);
await b.run(-1); // warm-up
const ra = [];
const rb = [];
for (let i = 0; i < runs; i++) {
  // A different first word each run, so neither side reuses the previous prompt's KV cache.
  ra.push(await a.run(i));
  rb.push(await b.run(i));
}
const m = (rs, k) => median(rs.map((r) => r[k]));
const row = (label, rs, rss) =>
  `| ${label} | ${m(rs, 'genTps').toFixed(0)} | ${m(rs, 'ttft').toFixed(1)} | ${(rss / 2 ** 20).toFixed(0)} |`;
console.log(
  `model ${basename(values.model)}, ${threads} threads, prompt ~${values.prompt} tokens, ${gen} generated, median of ${runs}`,
);
console.log('| | generation tokens/s | time to first token (ms, prompt included) | resident memory (MiB) |');
console.log('| --- | --- | --- | --- |');
console.log(row('in-process node-llama-cpp', ra, a.rss()));
console.log(row('service, unix socket, SSE', rb, b.rss()));
console.log(
  `ratio generation ${(m(rb, 'genTps') / m(ra, 'genTps')).toFixed(3)}×, time to first token ${(m(rb, 'ttft') - m(ra, 'ttft')).toFixed(1)} ms more`,
);
await b.close();
await a.close();
