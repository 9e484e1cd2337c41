// Every published figure, kept across runs (issue 20: "keeps the medians and spreads of several runs;
// a figure met in one run and missed in the next is not met"). figure() (_lib.mjs) appends one JSON
// line per figure to .bench/history.jsonl (BENCH_HISTORY=FILE elsewhere, BENCH_HISTORY=off for none):
// the figure's id, its headline number and the number its goal judged, whether it was met, the load,
// the commit measured and the machine. `npm run bench -- --history` prints, for this machine and the
// commit checked out (or every commit since --since REV), one row per figure: how many runs, in how
// many the goal was met, the median and spread of the headline numbers, and "met" only when every
// run met it. The judging is pure (summarize), so tests feed it records of their own.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the history is kept; undefined when BENCH_HISTORY=off. */
export function historyFile(env = process.env) {
  if (env.BENCH_HISTORY === 'off') return undefined;
  return env.BENCH_HISTORY ? path.resolve(env.BENCH_HISTORY) : path.join(root, '.bench/history.jsonl');
}

/**
 * The machine as far as figures go: CPU model, family and model numbers (two VMs of one cloud kind
 * can report the same model name on different generations), cores and memory.
 */
export function machine() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (k) => info.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '?';
  return `${field('model name')} (family ${field('cpu family')} model ${field('model')}), ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

/** HEAD, with `+dirty` when tracked files differ from it (untracked files do not count). */
export function commit(cwd = root) {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd })
      .toString()
      .trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Options that change how often or beside what a figure is measured, not what: left out of the key. */
const SAME_FIGURE = new Set(['--json', '--rounds', '--busy']);

/**
 * What made this run differ from a plain `npm run bench`: the bench's own arguments and the
 * environment variables that change what is measured (another build, other sizes, other tunables).
 * Runs are only judged together with runs of the same options; more rounds, or busy loops beside,
 * measure the same figure (SAME_FIGURE).
 */
export function runOptions(argv = process.argv.slice(2), env = process.env) {
  const vars = Object.keys(env)
    .filter((k) =>
      /^(BENCH_EXE|BLUEPRINT_EXE|BLUEPRINT_BEFORE|VECTORS_BENCH_|RAG_BENCH_|EMBEDDINGS_)/.test(k),
    )
    // Reusing the vectors bench's kept index measures the same figure, faster.
    .filter((k) => k !== 'VECTORS_BENCH_REUSE')
    .sort()
    .map((k) => `${k}=${env[k]}`);
  const kept = [];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=', 2);
    if (!SAME_FIGURE.has(name)) kept.push(argv[i]);
    else if (inline === undefined && name !== '--json' && argv[i + 1] && !argv[i + 1].startsWith('--')) i++;
  }
  return [...kept, ...vars].join(' ');
}

/** What is the same for every figure a bench process records: asked once (two git runs, a file read). */
let thisRun;

/** Appends one figure's record. `n`: its headline number; `judged`: the number its goal judged. */
export function record(fig, { file = historyFile(), now = new Date() } = {}) {
  if (!file || fig.id === undefined) return;
  mkdirSync(path.dirname(file), { recursive: true });
  thisRun ??= { commit: commit(), machine: machine(), options: runOptions() };
  const line = { at: now.toISOString(), ...thisRun, load: os.loadavg()[0], ...fig };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** The records of `file` (lines that do not parse are skipped: a run killed mid-write). */
export function readHistory(file = historyFile()) {
  if (!file || !existsSync(file)) return [];
  const out = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      out.push(JSON.parse(l));
    } catch {}
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * One row per figure (id and options) among `records` of `machineName` whose commit is in
 * `commits`: runs, runs met, median / min / max of the headline numbers, the worst judged number
 * (largest or smallest, by the goal's direction), the highest load seen, and met only when every
 * run met it. In the order the figures first appear.
 */
export function summarize(records, { machineName, commits }) {
  const rows = new Map();
  for (const r of records) {
    if (r.machine !== machineName || !commits.includes(r.commit) || typeof r.n !== 'number') continue;
    const key = `${r.id}\u0000${r.options ?? ''}`;
    if (!rows.has(key)) rows.set(key, { id: r.id, options: r.options ?? '', runs: [] });
    rows.get(key).runs.push(r);
  }
  return [...rows.values()].map((row) => {
    const ns = row.runs.map((r) => r.n);
    const judged = row.runs.map((r) => r.judged ?? r.n);
    const latest = row.runs.at(-1); // its wording, goal, unit and direction are the ones shown
    const larger = latest.better === 'larger';
    return {
      id: row.id,
      options: row.options,
      what: latest.what,
      goal: latest.goal,
      runs: row.runs.length,
      metRuns: row.runs.filter((r) => r.met).length,
      met: row.runs.every((r) => r.met),
      median: median(ns),
      min: Math.min(...ns),
      max: Math.max(...ns),
      worstJudged: larger ? Math.min(...judged) : Math.max(...judged),
      unit: latest.unit ?? '',
      maxLoad: Math.max(...row.runs.map((r) => r.load ?? 0)),
      commits: [...new Set(row.runs.map((r) => r.commit))],
    };
  });
}

/** The commits a summary covers: HEAD (clean and dirty), or every one since `since` (inclusive). */
export function commitsSince(since, cwd = root) {
  const short = (rev) => execFileSync('git', ['rev-parse', '--short=12', rev], { cwd }).toString().trim();
  const list = since
    ? [
        short(since),
        ...execFileSync('git', ['rev-list', '--abbrev=12', '--abbrev-commit', `${since}..HEAD`], { cwd })
          .toString()
          .split('\n')
          .filter(Boolean),
      ]
    : [short('HEAD')];
  return list.flatMap((c) => [c, `${c}+dirty`]);
}

/** The summary as a Markdown table. */
export function historyTable(rows) {
  const num = (x, unit) => `${Number(x.toPrecision(3))}${unit}`;
  const lines = [
    '| figure | runs | met in | median | spread | worst judged | goal | met | highest load |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.what}${r.options ? ` (${r.options})` : ''} | ${r.runs} | ${r.metRuns} | ${num(r.median, r.unit)} | ${num(r.min, r.unit)}–${num(r.max, r.unit)} | ${num(r.worstJudged, r.unit)} | ${r.goal} | ${r.met ? 'yes' : 'no'} | ${r.maxLoad.toFixed(2)} |`,
    );
  return lines.join('\n');
}
