#!/usr/bin/env node
// The vectors service's resident memory with and without the manifest's GLIBC_TUNABLES (glibc's
// malloc madvising huge pages, README#benchmark), in its Podman sandbox: started empty, and started
// on the data folder a full `VECTORS_BENCH_REUSE=1 npm run bench -- vectors` kept (100k GloVe
// vectors with payloads, its graph loaded from the checkpoint); VmRSS and AnonHugePages of the
// service's process once its socket is up (the store is open by then, main.ts), the two ways
// taking turns for ROUNDS rounds. Every container and image is removed.
//   node_modules/.bin/node scripts/bench/_vectors-memory.mjs [ROUNDS=2]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { manifestEnv, root } from './_lib.mjs';
import { sandboxed } from './_vectors-sandbox.mjs';

const ROUNDS = Number(process.argv[2] ?? 2);
const cache = path.join(root, 'node_modules/.cache/blueprint-vectors-bench');
const db = path.join(cache, 'built-n100000-m32-efc200/db');
if (!existsSync(db))
  throw new Error(`no kept data folder at ${db}: run VECTORS_BENCH_REUSE=1 npm run bench -- vectors once`);
const tunable = manifestEnv('vectors').GLIBC_TUNABLES;
const kb = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
const variants = { default: { GLIBC_TUNABLES: null }, tunable: { GLIBC_TUNABLES: tunable } };

console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}; GLIBC_TUNABLES=${tunable}`,
);
mkdirSync(cache, { recursive: true });
const got = { default: [], tunable: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? ['default', 'tunable'] : ['tunable', 'default'];
  for (const v of order) {
    const one = {};
    for (const loaded of [false, true]) {
      const work = mkdtempSync(path.join(cache, 'mem-'));
      const s = await sandboxed({ root, work, db: loaded ? db : undefined, env: variants[v] });
      try {
        await new Promise((res) => setTimeout(res, 1000)); // the workers' start settles
        const rollup = readFileSync(`/proc/${s.pid}/smaps_rollup`, 'utf8');
        one[loaded ? 'loaded' : 'empty'] = { rss: kb(rollup, 'Rss'), huge: kb(rollup, 'AnonHugePages') };
      } finally {
        await s.close();
        rmSync(work, { recursive: true, force: true });
      }
    }
    got[v].push(one);
    const mib = (x) => (x / 1024).toFixed(0);
    console.log(
      `round ${r + 1}, ${v}: empty ${mib(one.empty.rss)} MiB (huge ${mib(one.empty.huge)}), 100k loaded ${mib(one.loaded.rss)} MiB (huge ${mib(one.loaded.huge)}): ${mib(one.loaded.rss - one.empty.rss)} MiB per 100k`,
    );
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
for (const v of Object.keys(got)) {
  const per = got[v].map((x) => (x.loaded.rss - x.empty.rss) / 1024);
  const rss = got[v].map((x) => x.loaded.rss / 1024);
  console.log(
    `${v}: resident with 100k loaded ${med(rss).toFixed(0)} MiB (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)}), over the empty service ${med(per).toFixed(0)} MiB per 100k (${Math.min(...per).toFixed(0)}–${Math.max(...per).toFixed(0)}), AnonHugePages ${(med(got[v].map((x) => x.loaded.huge)) / 1024).toFixed(0)} MiB`,
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
