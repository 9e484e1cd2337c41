#!/usr/bin/env node
// `npm run fuzz [-- --seconds N] [--seed S] [--only archive,http] [--test NAME] [--path P] [--no-corpus]`
//
// Runs the property-based fuzz targets in test/fuzz/*.fuzz.ts (fast-check under vitest) for a
// bounded time: --seconds is the total (default 60), shared evenly by the targets. The seed is
// printed first; with the same seed a run generates the same inputs, and --seed S --path P (both
// printed by fast-check on a failure) replays one counterexample directly; a target with several
// properties needs --test (part of the failing test's name, as vitest printed it) with --path.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    only: { type: 'string' },
    path: { type: 'string' },
    test: { type: 'string' },
    'no-corpus': { type: 'boolean', default: false },
  },
});

const all = readdirSync(path.join(root, 'test/fuzz'))
  .filter((f) => f.endsWith('.fuzz.ts'))
  .map((f) => f.slice(0, -'.fuzz.ts'.length))
  .sort();
const only = values.only ? values.only.split(',').map((s) => s.trim()) : all;
const unknown = only.filter((t) => !all.includes(t));
if (unknown.length) {
  console.error(`fuzz: no target ${unknown.join(', ')}; targets: ${all.join(', ')}`);
  process.exit(2);
}
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`fuzz: --seconds ${values.seconds} must be a positive number`);
  process.exit(2);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`fuzz: --seed ${values.seed} must be an integer`);
  process.exit(2);
}
const perTarget = Math.max(1, Math.floor(seconds / only.length));
const replay = `npm run fuzz -- --seed ${seed}${values.only ? ` --only ${values.only}` : ''}`;
console.log(`fuzz: seed ${seed}; ${only.join(', ')}: ${perTarget} s each`);
console.log(`fuzz: same inputs again: ${replay} --seconds ${seconds}`);

const r = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    'test/fuzz/vitest.config.ts',
    ...only.map((t) => `test/fuzz/${t}.fuzz.ts`),
    ...(values.test ? ['-t', values.test] : []),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_SECONDS_PER_TARGET: String(perTarget),
      FUZZ_SEED: String(seed),
      ...(values.path ? { FUZZ_PATH: values.path } : {}),
      ...(values['no-corpus'] ? { FUZZ_NO_CORPUS: '1' } : {}),
    },
  },
);
if (r.status !== 0) {
  console.error(`fuzz: FAILED with seed ${seed}. The counterexample above is minimal; replay it with`);
  console.error(
    `  ${replay} --only TARGET --test '<the failing test's name>' --path '<the "path" fast-check printed>'`,
  );
  console.error('and add it as a deterministic case to test/security/fuzz-regressions.test.ts.');
}
process.exit(r.status ?? 1);
