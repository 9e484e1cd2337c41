import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc, { type Parameters as FcParameters } from 'fast-check';

/**
 * The knobs scripts/fuzz.mjs passes down: how long each target may run and the seed, so that a
 * failure printed by one run can be replayed exactly (`npm run fuzz -- --seed S --path P`).
 */
export const seconds = Number(process.env.FUZZ_SECONDS_PER_TARGET ?? 12);
export const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const replayPath = process.env.FUZZ_PATH;
/** FUZZ_NO_CORPUS=1: generation alone, to show what the generators find without the seeds' help. */
export const useCorpus = process.env.FUZZ_NO_CORPUS !== '1';

/**
 * fast-check settings: run until the time budget is spent (or a counterexample is found). `examples`
 * are argument tuples, e.g. `[[seed1], [seed2]]` for a one-argument property; `share` is the part
 * of the target's time this property gets (a target with several properties splits its budget).
 */
export function fuzzParams<T>(examples: T[] = [], share = 1): FcParameters<T> {
  return {
    seed,
    ...(replayPath ? { path: replayPath } : {}),
    numRuns: replayPath ? 1 : 10_000_000,
    plugins: [fc.interruptAfterTimeLimit(seconds * 1000 * share) as fc.Plugin<T>],
    // Seeds from the corpus run first, every time.
    examples,
    // The minimal counterexample only; the list of every failure on the way is noise.
    verbose: 0,
  };
}

export const corpusDir = path.resolve(import.meta.dirname, '../corpus');

/** The seed files of one target, sorted by name: [file name, contents]. */
export function corpus(target: string): Array<[string, Buffer]> {
  if (!useCorpus) return [];
  const dir = path.join(corpusDir, target);
  return readdirSync(dir)
    .sort()
    .map((f) => [f, readFileSync(path.join(dir, f))]);
}

export function corpusJson<T = unknown>(target: string): T[] {
  return corpus(target)
    .filter(([f]) => f.endsWith('.json'))
    .map(([, b]) => JSON.parse(b.toString('utf8')) as T);
}

const tallies = new Map<string, number>();

/** Counts one run's outcome, so a summary can show the target did reach deep (not refuse all). */
export function tally(outcome: string): void {
  tallies.set(outcome, (tallies.get(outcome) ?? 0) + 1);
}

/** One line per target: runs, seed and outcomes, printed after it ran. */
export function summary(target: string): string {
  const runs = [...tallies.values()].reduce((a, b) => a + b, 0);
  const parts = [...tallies.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  tallies.clear();
  return `fuzz ${target}: ${runs} runs, seed ${seed}${replayPath ? ` path ${replayPath}` : ''}: ${parts.join(', ')}`;
}
