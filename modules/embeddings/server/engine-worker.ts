/**
 * The engine in a worker thread: tokenising and inference run there, so the event loop that
 * answers /health and accepts connections never waits for a batch. The worker runs the same
 * bundle (server.mjs) as the main thread; main.ts tells the two apart.
 *
 * A model whose batches take well under a millisecond or two (a static lookup such as GloVe) pays
 * more for the hop than for the work: two thread wake-ups, which on a loaded box each tend to cost
 * a time slice (issue 20: postMessage was a third of the main thread's profile). For such a model
 * a second copy runs on the main thread and takes the batches whose estimated cost is within
 * `inlineBudgetMs`; anything bigger still goes to the worker, so /health never waits longer than
 * that budget. The estimate is characters × the worker's measured time per character.
 *
 * A single query (one input: what a retrieval or a search box waits for) has its own, larger
 * budget: for a transformer the hop is not the cost but the waiting, two thread wake-ups that on a
 * busy box each wait for a core while the client waits for the answer (issue 17: ~4 ms of a
 * 10–20 ms MiniLM query). Such a query runs on the main thread when its estimate fits
 * `queryBudgetMs`; /health then waits at most that long, and the copy costs the model's memory
 * again (see ../README.md).
 */
import type { ResourceLimits } from 'node:worker_threads';
import { serveJobs, startPool, WorkerJobError } from '../../kit/server/index.js';
import {
  createEngine,
  type Embeddings,
  type EmbedOptions,
  type Engine,
  type EngineOptions,
  InputTooLongError,
  type ModelInfo,
} from './engine.js';

export type WorkerInit = Omit<EngineOptions, 'log'>;

interface Ready {
  info: ModelInfo;
  /** The fastest of several runs of CALIBRATION (measureCost), in milliseconds per character. */
  msPerChar: number;
}

// Sentences of ordinary length and vocabulary, 32 of them as the OpenAI clients batch by default.
const CALIBRATION = Array.from(
  { length: 32 },
  (_, i) => `sentence ${i}: the quick brown fox jumps over the lazy dog near the river bank today`,
);
const chars = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0);

/**
 * Milliseconds per character of a batch: the fastest of up to `maxRuns` runs, stopping once
 * `enoughMs` have gone by (after two runs at least). A cheap model (a static lookup, ~1 ms a batch)
 * gets dozens of runs, so one busy moment of the box at start, which once made a GloVe service send
 * every batch through the worker for its whole life, does not decide; a transformer, whose batch
 * is far over any budget, is timed twice (the first run warms the JIT).
 */
export async function measureCost(engine: Engine, maxRuns = 30, enoughMs = 200): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let i = 0; i < maxRuns && (i < 2 || performance.now() - start < enoughMs); i++) {
    const t0 = performance.now();
    await engine.embed(CALIBRATION, { truncate: true });
    best = Math.min(best, performance.now() - t0);
  }
  return best / chars(CALIBRATION);
}

/**
 * A batch's vectors in one Float32Array, so the answer crosses to the main thread as one
 * transferred buffer: each transferred buffer costs ~1.5 µs to detach and re-create, ~45 µs for a
 * batch of 32 (issue 20; `unpack` gives views on it, no copy).
 */
interface Packed {
  data: Float32Array;
  dimension: number;
  tokens: number[];
}
function pack(out: Embeddings): Packed {
  const dimension = out.vectors[0]?.length ?? 0;
  const data = new Float32Array(out.vectors.length * dimension);
  out.vectors.forEach((v, i) => {
    data.set(v, i * dimension);
  });
  return { data, dimension, tokens: out.tokens };
}
function unpack({ data, dimension, tokens }: Packed): Embeddings {
  const vectors = tokens.map((_, i) => data.subarray(i * dimension, (i + 1) * dimension));
  return { vectors, tokens };
}

/** In the worker thread: load the model, time a batch, then embed one batch per job. */
export function runEngineWorker(): void {
  serveJobs<WorkerInit, Ready>(async (data, log) => {
    const engine = await createEngine({ ...data, log });
    return {
      ready: { info: engine.info, msPerChar: await measureCost(engine) },
      handle: async (p) => {
        const { texts, options } = p as { texts: string[]; options: EmbedOptions };
        return pack(await engine.embed(texts, options));
      },
    };
  });
}

export interface EngineWorker extends Engine {
  healthy(): boolean;
  /** Where a batch would run now: on the main thread (cheap enough) or in the worker. */
  placement(texts: string[]): 'main' | 'worker';
  /** Measured at start: milliseconds per character of an ordinary batch. */
  msPerChar: number;
  /** Whether a copy of the model was loaded on the main thread (an ordinary batch or query fits a budget). */
  mainThreadCopy: boolean;
  /** The longest batch, and the longest single input, in characters, that run on the main thread. */
  onMainThread: { batchChars: number; queryChars: number };
}

/**
 * On the main thread: an Engine whose work happens in the worker started from `file`, and also in
 * a copy on the main thread when an ordinary batch of 32 sentences fits in `inlineBudgetMs` (then
 * it takes the batches that fit) or one ordinary sentence fits in `queryBudgetMs` (then it takes
 * the single inputs that fit). 0: never; the callers run one batch at a time through the kit's queue.
 */
export async function startEngineWorker(
  file: URL,
  init: WorkerInit,
  log: (line: string) => void,
  resourceLimits?: ResourceLimits,
  inlineBudgetMs = 0,
  queryBudgetMs = 0,
): Promise<EngineWorker> {
  const pool = await startPool<WorkerInit, Ready>({ file, data: init, log, resourceLimits });
  const { info, msPerChar } = pool.ready;
  const batchFits = inlineBudgetMs > 0 && msPerChar * chars(CALIBRATION) <= inlineBudgetMs;
  const queryFits = queryBudgetMs > 0 && msPerChar * CALIBRATION[0]!.length <= queryBudgetMs;
  const inline = batchFits || queryFits ? await createEngine({ ...init, log }) : undefined;
  const placement = (texts: string[]): 'main' | 'worker' => {
    if (!inline) return 'worker';
    const cost = chars(texts) * msPerChar;
    if (batchFits && cost <= inlineBudgetMs) return 'main';
    return queryFits && texts.length === 1 && cost <= queryBudgetMs ? 'main' : 'worker';
  };
  return {
    info,
    msPerChar,
    mainThreadCopy: inline !== undefined,
    onMainThread: {
      batchChars: inline && batchFits ? Math.floor(inlineBudgetMs / msPerChar) : 0,
      queryChars: inline && queryFits ? Math.floor(queryBudgetMs / msPerChar) : 0,
    },
    healthy: pool.healthy,
    placement,
    embed: async (texts, options) => {
      if (placement(texts) === 'main') return inline!.embed(texts, options);
      try {
        return unpack((await pool.run({ texts, options })) as Packed);
      } catch (err) {
        if (err instanceof WorkerJobError && err.name === 'InputTooLongError') {
          const f = err.fields as { index: number; length: number; max: number };
          throw new InputTooLongError(f.index, f.length, f.max);
        }
        throw err;
      }
    },
    dispose: async () => {
      await inline?.dispose();
      await pool.close();
    },
  };
}
