// The lead's probe (2026-12-01): hnswlib-node's walk with and without huge pages for malloc. Loads
// the index a full `VECTORS_BENCH_REUSE=1 npm run bench -- vectors` kept and times 1,000 GloVe
// queries at ef 128, five passes; run it twice to compare:
//   node_modules/.bin/node scripts/bench/_thp-probe.mjs
//   GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node_modules/.bin/node scripts/bench/_thp-probe.mjs
// (vectors.mjs measures both ways taking turns, in child processes: _vectors-library.mjs.)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root } from './_lib.mjs';
import { gloveSet } from './_vectors-data.mjs';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node');
const { queryArrays } = gloveSet({ N: 100000, Q: 1000, D: 100, K: 10 });
const index = new HierarchicalNSW('ip', 100);
index.readIndexSync(
  path.join(root, 'node_modules/.cache/blueprint-vectors-bench/built-n100000-m32-efc200/inproc.hnsw'),
);
index.setEf(128);
const smaps = readFileSync('/proc/self/smaps_rollup', 'utf8')
  .split('\n')
  .filter((l) => /AnonHuge|Rss/.test(l))
  .join(' ');
const out = [];
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (const q of queryArrays) index.searchKnn(q, 10);
  out.push((1000 / ((performance.now() - t) / 1000)).toFixed(0));
}
console.log(process.env.GLIBC_TUNABLES ?? 'default', 'QPS', out.join(' '), smaps);
