#!/usr/bin/env node
// `npm run bench`: runs every scripts/bench/*.mjs (or the ones named) in turn. Each prints its figures as
// ratios against a baseline measured in the same run, so numbers compare across machines. Figures a
// bench records with figure() (scripts/bench/_lib.mjs) end in one table: value, goal, met or not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  commitsSince,
  historyFile,
  historyTable,
  machine,
  readHistory,
  summarize,
} from './bench/_history.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `npm run bench -- --history [--since REV]`: no bench run; the figures of every run kept so far on
// this machine for the commit checked out (or since REV), judged over all of them (_history.mjs).
if (process.argv[2] === '--history') {
  const at = process.argv.indexOf('--since');
  const since = at > 0 ? process.argv[at + 1] : undefined;
  const rows = summarize(readHistory(), { machineName: machine(), commits: commitsSince(since) });
  const file = path.relative(root, historyFile() ?? '') || '(BENCH_HISTORY=off)';
  if (!rows.length) {
    console.log(
      `No figures kept for ${since ? `the commits since ${since}` : 'this commit'} on this machine in ${file}: run \`npm run bench\` first.`,
    );
    process.exit(0);
  }
  console.log(
    `Figures of every run kept in ${file} (${machine()}; ${since ? `commits since ${since}` : `commit ${commitsSince()[0]}`}); met only if met in every run:\n`,
  );
  console.log(historyTable(rows));
  process.exit(0);
}
// `npm run bench -- rag -- --models X`: the names before a second `--`, options for each bench after it.
const args = process.argv.slice(2);
const cut = args.indexOf('--');
const only = cut < 0 ? args : args.slice(0, cut);
const passed = cut < 0 ? [] : args.slice(cut + 1);
const benches = readdirSync(path.join(root, 'scripts/bench'))
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bp-bench-figures-'));
const figures = path.join(tmp, 'figures.jsonl');
const loadNow = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
const loadBefore = loadNow();
let failed = 0;
for (const b of benches) {
  console.log(`\n=== scripts/bench/${b} ===`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/bench', b), ...passed], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, BENCH_FIGURES: figures },
  });
  if (r.status !== 0) failed++;
}
let rows = [];
try {
  rows = readFileSync(figures, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {}
rmSync(tmp, { recursive: true, force: true });
if (rows.length) {
  console.log(`\nFigures (${os.cpus().length} CPUs; load average before ${loadBefore}, after ${loadNow()})`);
  console.log('| figure | measured | goal | met |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.what} | ${r.value} | ${r.goal} | ${r.met ? 'met' : 'not met'} |`);
  if (historyFile())
    console.log(
      `\nKept in ${path.relative(root, historyFile())}; \`npm run bench -- --history\` judges every run of this commit on this machine.`,
    );
}
process.exit(failed ? 1 : 0);
