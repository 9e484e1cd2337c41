#!/usr/bin/env node
// `npm run bench`: runs every scripts/bench/*.mjs (or the ones named) in turn. Each prints its figures as
// ratios against a baseline measured in the same run, so numbers compare across machines.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const benches = readdirSync(path.join(root, 'scripts/bench'))
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const b of benches) {
  console.log(`\n=== scripts/bench/${b} ===`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/bench', b)], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
