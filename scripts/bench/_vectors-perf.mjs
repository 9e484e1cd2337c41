#!/usr/bin/env node
// Where the vectors service's CPU goes in batches of 16 (the bench's search/batch passes at
// hnsw_ef 128), beside the library's: the service's bundle as a host process with the manifest's
// env and the image's Node flags plus --perf-basic-prof (JIT frames named), on the data folder a
// full `VECTORS_BENCH_REUSE=1 npm run bench -- vectors` kept; `perf record -g` of it over PASSES
// passes of 1,000 queries (2 connections × 2 pipelined, bodies encoded before), then of the
// library's child with the same GLIBC_TUNABLES over as many passes; `perf report` of each, by
// shared object and by symbol, into OUT (default a temporary folder). Diagnosis only.
//   node_modules/.bin/node scripts/bench/_vectors-perf.mjs [PASSES=6] [OUT]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { manifestEnv, root } from './_lib.mjs';
import { gloveSet } from './_vectors-data.mjs';
import { libraryChild } from './_vectors-library.mjs';
import { hostProcess } from './_vectors-sandbox.mjs';

const PASSES = Number(process.argv[2] ?? 6);
const out = process.argv[3] ?? mkdtempSync(path.join(tmpdir(), 'vectors-perf-'));
mkdirSync(out, { recursive: true });
const EF = 128;
const built = path.join(root, 'node_modules/.cache/blueprint-vectors-bench/built-n100000-m32-efc200');
const { queryArrays } = gloveSet({ N: 100_000, Q: 1000, D: 100, K: 10 });
const vectorsEnv = manifestEnv('vectors');
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const record = async (pid, name, work) => {
  const data = path.join(out, `${name}.data`);
  const perf = spawn('perf', ['record', '-g', '-F', '999', '-o', data, '-p', String(pid)], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 500));
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  await work();
  const s = (performance.now() - t0) / 1000;
  const c1 = cpuMs(pid);
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
  for (const sort of ['dso', 'dso,sym']) {
    const text = execFileSync(
      'perf',
      ['report', '-i', data, '--no-children', '--sort', sort, '--stdio', '-g', 'none'],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    writeFileSync(path.join(out, `${name}.${sort.replace(',', '-')}.txt`), text);
  }
  console.log(
    `${name}: ${((s * 1000) / (PASSES * 1000)).toFixed(3)} ms wall, ${((c1 - c0) / (PASSES * 1000)).toFixed(3)} ms CPU a query (10 ms ticks)`,
  );
};

console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}; reports in ${out}`,
);
// Under node_modules: the bundle finds hnswlib-node (left out of it) from there.
const work = mkdtempSync(path.join(path.dirname(built), 'perf-'));
const service = await hostProcess({
  root,
  work,
  db: path.join(built, 'db'),
  env: { NODE_OPTIONS: '--perf-basic-prof' },
});
const { GLIBC_TUNABLES: _, ...userEnv } = process.env;
const lib = await libraryChild({
  file: path.join(built, 'inproc.hnsw'),
  dim: 100,
  queries: queryArrays,
  env: { ...userEnv, GLIBC_TUNABLES: vectorsEnv.GLIBC_TUNABLES },
});
const pool = new Pool('http://vectors.socket', { socketPath: service.socket, connections: 2, pipelining: 2 });
try {
  const bodies = Array.from({ length: Math.ceil(1000 / 16) }, (_, j) =>
    JSON.stringify({
      searches: queryArrays
        .slice(j * 16, j * 16 + 16)
        .map((q) => ({ vector: q, limit: 10, params: { hnsw_ef: EF } })),
    }),
  );
  const pass = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const res = await pool.request({
            method: 'POST',
            path: '/collections/glove/points/search/batch',
            headers: { 'content-type': 'application/json' },
            body: bodies[next++],
          });
          if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${await res.body.text()}`);
          await res.body.text();
        }
      }),
    );
  };
  await pass();
  await lib.pass(EF);
  await record(service.pid, 'service-batch16', async () => {
    for (let i = 0; i < PASSES; i++) await pass();
  });
  await record(lib.pid, 'library-tunable', async () => {
    for (let i = 0; i < PASSES; i++) await lib.pass(EF);
  });
} finally {
  await pool.destroy();
  await lib.close();
  await service.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
