/**
 * Issue 20 (PERF12): the main-thread copy takes only batches within its ~2 ms budget, and splitting
 * such a batch across ONNX Runtime's intra-op pool woke the pool thread once a run (~0.9 a GloVe batch
 * of 32, on a VM whose idle vCPUs wake dearly) for a few µs of work saved. The copy runs on one
 * intra-op thread: its batches wake no thread of the process but the caller's. Counted, not timed:
 * the voluntary context switches (sleeps) of the threads the engine started, over 40 batches.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type EngineWorker, startEngineWorker } from '../../modules/embeddings/server/engine-worker.js';
import { FIXTURE_MODELS } from './helpers.js';
import { bundle } from './served.js';

const threadIds = () => new Set(readdirSync('/proc/self/task'));
const sleeps = (tid: string) => {
  try {
    const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0; // the thread ended
  }
};

let file = '';
let engine: EngineWorker | undefined;
afterAll(async () => {
  await engine?.dispose();
  if (file) rmSync(dirname(file), { recursive: true, force: true });
});

it("the main-thread copy's batches wake none of the engine's threads (one intra-op thread)", async () => {
  file = await bundle();
  const before = threadIds();
  // Two inference threads, as the sandbox's quota gives: the worker keeps them for its batches.
  engine = await startEngineWorker(
    pathToFileURL(file),
    { modelDir: FIXTURE_MODELS, model: 'tiny-bert', device: 'cpu', threads: 2 },
    () => {},
    undefined,
    1000,
  );
  const batch = Array.from(
    { length: 32 },
    (_, i) => `a cat sits on the mat number ${i} while stock prices fall`,
  );
  expect(engine.placement(batch)).toBe('main');
  const opts = { truncate: true, normalize: true };
  for (let i = 0; i < 5; i++) await engine.embed(batch, opts); // past the first runs' set-up
  const started = [...threadIds()].filter((t) => !before.has(t));
  expect(started.length).toBeGreaterThan(0);
  const at = started.map(sleeps);
  for (let i = 0; i < 40; i++) await engine.embed(batch, opts);
  const woken = started.map((t, i) => sleeps(t) - at[i]!);
  // Before (the copy on the worker's two threads): its pool thread slept and woke once a batch or
  // more (40+ here). A stray wake-up (a timer, the worker's idle housekeeping) is allowed.
  expect(Math.max(...woken)).toBeLessThan(10);
}, 120_000);
