// Shared helpers for benchmarks: timing with medians, running the built executable.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { record } from './_history.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// BENCH_EXE: another build to measure (scripts/build.mjs --out DIR), default dist/blueprint.
export const exe = process.env.BENCH_EXE
  ? path.resolve(process.env.BENCH_EXE)
  : path.join(root, 'dist/blueprint');
export const tmp = (p = 'bp-bench-') => mkdtempSync(path.join(os.tmpdir(), p));

/** The service environment modules/NAME/manifest.json gives (MALLOC_*, GLIBC_TUNABLES...). */
export const manifestEnv = (name) =>
  JSON.parse(readFileSync(path.join(root, 'modules', name, 'manifest.json'), 'utf8')).service.env;

let bundled = 0;

/**
 * Imports a TypeScript entry of the repository (`entry`, relative to its root) bundled by esbuild: the
 * module and kit sources import each other as `.js`, which Node's type stripping does not map to
 * `.ts`. `external`: packages stay imports of node_modules, as the services load them. The bundle
 * is written under node_modules/.cache (where those imports resolve) and removed once imported.
 */
export async function importBundled(entry, { external = false } = {}) {
  const { build } = await import('esbuild');
  const dir = path.join(root, 'node_modules/.cache/blueprint-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${path.basename(entry).replace(/\.[^.]+$/, '')}-${process.pid}-${bundled++}.mjs`,
  );
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
    ...(external ? { packages: 'external' } : {}),
  });
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}

export function ensureBuilt() {
  try {
    execFileSync(exe, ['--version'], { stdio: 'ignore' });
  } catch {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
}

/** Wall time of one run of `cmd`, in ms; throws if it fails. */
export function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * Runs the candidate and the baseline alternately `n` times; returns both medians, the ratio of
 * the medians, and each run's own ratio (candidate over the baseline run beside it): `worst` and
 * `best` are the spread a noisy machine gives. `turns`: every other pair the candidate goes first,
 * so that neither side always runs right after the other (what the one before left behind).
 */
export function compare(n, candidate, baseline, { turns = false } = {}) {
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    if (turns && i % 2 === 1) {
      a.push(candidate(i));
      b.push(baseline(i));
      continue;
    }
    b.push(baseline(i));
    a.push(candidate(i));
  }
  const ma = median(a);
  const mb = median(b);
  const ratios = a.map((x, i) => x / b[i]);
  return {
    candidate: ma,
    baseline: mb,
    ratio: ma / mb,
    worst: Math.max(...ratios),
    best: Math.min(...ratios),
    ratios,
  };
}

/**
 * One published figure: printed now, kept for the table `npm run bench` prints at the end
 * (scripts/bench.mjs passes BENCH_FIGURES, a file of JSON lines), and with `meta` in the history of
 * every run (_history.mjs): `id` names the figure across runs, `n` is its headline number (a median
 * ratio, ms, MiB), `judged` the number its goal compared when that is another (the worst round),
 * `unit` how to print them, `better: 'larger'` for goals of at least.
 */
export function figure(what, value, goal, met, meta) {
  console.log(`${what}: ${value} (goal ${goal}: ${met ? 'met' : 'not met'})`);
  if (process.env.BENCH_FIGURES)
    appendFileSync(process.env.BENCH_FIGURES, `${JSON.stringify({ what, value, goal, met })}\n`);
  if (meta?.id !== undefined)
    record({ id: meta.id, what, value, goal, met: Boolean(met), better: 'smaller', ...meta });
}

/** The load average now, as `load 1.23 / 0.98 / 0.75` (1, 5 and 15 minutes). */
export const load = () =>
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`;

export const fmt = (ms) => `${ms.toFixed(0)} ms`;

/**
 * CPU time (user + system) of this process's waited-for children so far, in ms (Linux
 * /proc/self/stat, clock ticks of 10 ms: meaningful summed over many runs). On a loaded machine
 * wall time mostly measures the wait for a core; CPU time is what the program itself costs.
 */
export function childCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // After "pid (comm) ", field 3 is the state; cutime and cstime are fields 16 and 17.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}
