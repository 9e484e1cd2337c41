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
 * that budget. The estimate is characters × the worker's measured time per character, measured at
 * start and decided again from the batches the service runs (./placement.ts): a start on a busy box
 * does not hold for the service's whole life.
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
import { Decision, placementLine, WINDOW } from './placement.js';

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

/** Times this process's threads were taken off a core to let other work run (not when they waited). */
const preemptions = () => process.resourceUsage().involuntaryContextSwitches;

/**
 * Milliseconds per character of a batch: the fastest run by the clock among those no thread of
 * this process was preempted in (the fastest of all when none was spared), over at least
 * `minRuns` runs and until `clean` unpreempted runs are in or `maxMs` have gone by (at most
 * `maxRuns`); a model whose every run takes `dearMs` or more stops after two runs and `enoughMs`.
 * On a loaded box the clock also counts the time a run waits for a core: the fastest of 30 runs by the clock alone once made a GloVe
 * service send every batch through the worker for its whole life, and at load 8 did so in 4 of 8
 * starts (0.40 to 5.6 ms per 1,000 characters for the same model; issue 20). A run that kept its
 * core is the work's own time, never less (CPU time is not used: Linux hands it out as it accounts
 * it, so a 0.5 ms run may read 0.02 ms, and the least of many readings is one of those). A cheap
 * model (a static lookup, ~1 ms a batch) gets runs until clean ones are in; a transformer, whose
 * batch is far over any budget, is timed twice (the first run warms the JIT).
 */
export async function measureCost(
  engine: Engine,
  {
    minRuns = 30,
    maxRuns = 100,
    clean = 3,
    maxMs = 1000,
    dearMs = 50,
    enoughMs = 200,
    switches = preemptions,
  } = {},
): Promise<number> {
  let [best, bestAny, spared] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0];
  const start = performance.now();
  const more = (i: number) => {
    if (i < 2) return true;
    const elapsed = performance.now() - start;
    if (i >= maxRuns || elapsed >= maxMs) return false;
    // Every run this long: far over any budget, two runs say so (a transformer starts no later).
    if (bestAny >= dearMs && elapsed >= enoughMs) return false;
    return i < minRuns || spared < clean;
  };
  for (let i = 0; more(i); i++) {
    const s0 = switches();
    const t0 = performance.now();
    await engine.embed(CALIBRATION, { truncate: true });
    const took = performance.now() - t0;
    bestAny = Math.min(bestAny, took);
    if (switches() === s0) {
      spared++;
      best = Math.min(best, took);
    }
  }
  return (spared > 0 ? best : bestAny) / chars(CALIBRATION);
}

/**
 * A batch's vectors in one Float32Array, so the answer crosses to the main thread as one
 * transferred buffer: each transferred buffer costs ~1.5 µs to detach and re-create, ~45 µs for a
 * batch of 32 (issue 20; `unpack` gives views on it, no copy).
 */
interface Packed extends Timed {
  data: Float32Array;
  dimension: number;
  tokens: number[];
}
/** How long the worker's batch took (ms) and whether no thread of the process was preempted meanwhile. */
interface Timed {
  ms?: number;
  clean?: boolean;
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

/**
 * Where the worker also writes a single query's answer, so that a main thread blocked in
 * `Atomics.wait` has it without a message: Int32 [0] the last job written (its sequence number),
 * [1] its token count, [2] 0 = written, 1 = failed (the message carries the error); then the vector.
 */
interface Reply {
  shared: SharedArrayBuffer;
  seq: number;
}
const HEAD = 16;

/**
 * The message of a query whose vector is in the shared memory (`seq`: its job's): the main thread
 * reads it there (fromWorker), so the message carries no copy of it.
 */
interface InShared extends Timed {
  inShared: number;
  tokens: number[];
}

/** Writes a single query's vector and token count into the shared memory; false when it is not one. */
function writeVector(reply: Reply, out: Embeddings): boolean {
  const v = out.vectors[0];
  const room = (reply.shared.byteLength - HEAD) / 4;
  if (!v || out.vectors.length !== 1 || v.length !== room) return false;
  new Float32Array(reply.shared, HEAD, room).set(v);
  new Int32Array(reply.shared, 0, 3)[1] = out.tokens[0]!;
  return true;
}

/** Marks job `seq` written (or failed: its message carries the answer) and wakes a waiting main thread. */
function release(reply: Reply, written: boolean): void {
  const ctl = new Int32Array(reply.shared, 0, 3);
  ctl[2] = written ? 0 : 1;
  Atomics.store(ctl, 0, reply.seq);
  Atomics.notify(ctl, 0);
}

/** In the worker thread: load the model, time a batch, then embed one batch per job. */
export function runEngineWorker(): void {
  serveJobs<WorkerInit, Ready>(async (data, log) => {
    const engine = await createEngine({ ...data, log });
    // The query whose vector the last job wrote to shared memory, released once its message is posted.
    let written: Reply | undefined;
    return {
      ready: { info: engine.info, msPerChar: await measureCost(engine) },
      handle: async (p) => {
        const { texts, options, reply } = p as { texts: string[]; options: EmbedOptions; reply?: Reply };
        written = undefined;
        let out: Embeddings;
        const s0 = preemptions();
        const t0 = performance.now();
        try {
          out = await engine.embed(texts, options);
        } catch (err) {
          if (reply) release(reply, false);
          throw err;
        }
        const timed: Timed = { ms: performance.now() - t0, clean: preemptions() === s0 };
        if (!reply) return { ...pack(out), ...timed };
        if (!writeVector(reply, out)) {
          release(reply, false);
          return { ...pack(out), ...timed };
        }
        // The answer's message goes first (serveJobs posts it once this returns), then the main
        // thread is woken (posted(), right after that post): woken, it writes the answer to its
        // client and finds the message already there as its event loop turns, instead of sleeping
        // and being woken a second time for it while rag's next hop (vectors) wants the CPU; and
        // the worker has nothing left to do once the main thread runs. Until then the main thread
        // does not see the job as written (`seq` is stored by release), so it never takes the
        // answer before its message is posted.
        written = reply;
        return { inShared: reply.seq, tokens: out.tokens, ...timed } satisfies InShared;
      },
      posted: () => {
        if (written) release(written, true);
        written = undefined;
      },
    };
  });
}

export interface EngineWorker extends Engine {
  healthy(): boolean;
  /** Where a batch would run now: on the main thread (cheap enough) or in the worker. */
  placement(texts: string[]): 'main' | 'worker';
  /** Milliseconds per character of an ordinary batch: measured at start, then as batches re-decide it. */
  readonly msPerChar: number;
  /** Whether a copy of the model is loaded on the main thread (an ordinary batch or query fit a budget). */
  readonly mainThreadCopy: boolean;
  /** The longest batch, and the longest single input, in characters, that run on the main thread. */
  readonly onMainThread: { batchChars: number; queryChars: number };
  /**
   * Single queries sent to the worker while the main thread waited for the answer in `Atomics.wait`
   * (`waited`), and those whose wait ran out or could not be used, answered through the message.
   */
  queryWaits: { waited: number; gaveUp: number };
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
  queryWaitMs = 0,
): Promise<EngineWorker> {
  const pool = await startPool<WorkerInit, Ready>({ file, data: init, log, resourceLimits });
  const { info } = pool.ready;
  const decision = new Decision(
    pool.ready.msPerChar,
    { inlineMs: inlineBudgetMs, queryMs: queryBudgetMs },
    chars(CALIBRATION),
    CALIBRATION[0]!.length,
  );
  // The main-thread copy's batches fit `inlineBudgetMs` (~2 ms): split across ONNX Runtime's pool
  // they cost the pool thread's wake-up each run (~0.9 a GloVe batch of 32: ~20-80 µs of CPU on
  // this VM, whose idle vCPUs wake dearly) for a few µs of copying saved. One intra-op thread, then;
  // an opted-in single-query budget (a transformer's query of several ms) keeps the worker's threads.
  const copyInit = { ...init, threads: queryBudgetMs > 0 ? init.threads : 1, log };
  let inline: Engine | undefined;
  let loading: Promise<unknown> | undefined;
  const onMainThread = () => ({
    batchChars: inline && decision.batchFits ? Math.floor(inlineBudgetMs / decision.msPerChar) : 0,
    queryChars: inline && decision.queryFits ? Math.floor(queryBudgetMs / decision.msPerChar) : 0,
  });
  /** A batch's time: when it moves the decision, says so once (after loading the copy it now needs). */
  const timed = (texts: string[], ms: number | undefined, clean: boolean | undefined) => {
    const was = decision.msPerChar;
    if (ms === undefined || !decision.observe(chars(texts), ms, clean === true)) return;
    const say = () =>
      log(
        `placement decided again from ${WINDOW} batches that kept their core (was ${(was * 1000).toFixed(3)}): ${placementLine(decision.msPerChar, onMainThread())}`,
      );
    if (inline || loading || !(decision.batchFits || decision.queryFits)) return say();
    loading = createEngine(copyInit).then(
      (copy) => {
        inline = copy;
        say();
      },
      (err: unknown) =>
        log(`cannot load the main-thread copy; batches stay in the worker: ${(err as Error).message}`),
    );
  };
  const fromWorker = async (texts: string[], options: EmbedOptions, reply?: Reply): Promise<Embeddings> => {
    try {
      const got = (await pool.run(reply ? { texts, options, reply } : { texts, options })) as
        | Packed
        | InShared;
      timed(texts, got.ms, got.clean);
      if ('inShared' in got) {
        // Written before the message was posted; no later query writes over it until this one has
        // settled (queryWaiter's `held`). A copy: the next query writes over the shared vector.
        if (!reply || got.inShared !== reply.seq)
          throw new Error('a query answered in shared memory it was not given');
        return {
          vectors: [new Float32Array(reply.shared, HEAD, info.dimension).slice()],
          tokens: got.tokens,
        };
      }
      return unpack(got);
    } catch (err) {
      if (err instanceof WorkerJobError && err.name === 'InputTooLongError') {
        const f = err.fields as { index: number; length: number; max: number };
        throw new InputTooLongError(f.index, f.length, f.max);
      }
      throw err;
    }
  };
  const waiter = queryWaitMs > 0 ? queryWaiter(info.dimension, queryWaitMs, fromWorker) : undefined;
  if (decision.batchFits || decision.queryFits) inline = await createEngine(copyInit);
  const placement = (texts: string[]): 'main' | 'worker' => {
    if (!inline) return 'worker';
    const cost = chars(texts) * decision.msPerChar;
    if (decision.batchFits && cost <= inlineBudgetMs) return 'main';
    return decision.queryFits && texts.length === 1 && cost <= queryBudgetMs ? 'main' : 'worker';
  };
  return {
    info,
    get msPerChar() {
      return decision.msPerChar;
    },
    get mainThreadCopy() {
      return inline !== undefined;
    },
    get onMainThread() {
      return onMainThread();
    },
    healthy: pool.healthy,
    placement,
    queryWaits: waiter?.counts ?? { waited: 0, gaveUp: 0 },
    embed: async (texts, options) => {
      if (placement(texts) === 'main') {
        const s0 = preemptions();
        const t0 = performance.now();
        const out = await inline!.embed(texts, options);
        timed(texts, performance.now() - t0, preemptions() === s0);
        return out;
      }
      // A short single input only, estimated within the wait: a long one would use up the wait
      // and then be answered through the message anyway.
      if (waiter && texts.length === 1 && chars(texts) * decision.msPerChar <= queryWaitMs && pool.healthy())
        return waiter.embed(texts, options);
      return fromWorker(texts, options);
    },
    dispose: async () => {
      await loading;
      await inline?.dispose();
      await pool.close();
    },
  };
}

/**
 * A single query through the worker with the main thread blocked in `Atomics.wait` for the answer
 * (at most `waitMs`), instead of sleeping in its event loop for the answer's message: the worker
 * writes the vector into shared memory and wakes it directly, so the answer is written to the
 * client in the same turn, without the message's event-loop round trip (issue 17: ~0.1 ms of a
 * retrieval). While it waits the event loop does not run: /health and new connections wait at
 * most `waitMs`; a query not done by then (a loaded box, a long input) is answered through the
 * message as any other job. Only while no earlier job of this waiter is still held by the pool
 * (its message not yet read), so the worker is free to take this one at once. The worker posts the
 * job's message (without the vector: fromWorker reads it from the shared memory) before it wakes
 * this thread, so that message is read in the turn after the answer, with no second wake-up.
 */
function queryWaiter(
  dimension: number,
  waitMs: number,
  fromWorker: (texts: string[], options: EmbedOptions, reply?: Reply) => Promise<Embeddings>,
) {
  const shared = new SharedArrayBuffer(HEAD + dimension * 4);
  const ctl = new Int32Array(shared, 0, 3);
  let seq = 0;
  let held: Promise<unknown> | undefined;
  const counts = { waited: 0, gaveUp: 0 };
  return {
    counts,
    embed(texts: string[], options: EmbedOptions): Promise<Embeddings> {
      if (held) return fromWorker(texts, options);
      seq = (seq % 0x7fffffff) + 1;
      const mine = seq;
      const answer = fromWorker(texts, options, { shared, seq: mine });
      const settled = answer.then(
        () => undefined,
        () => undefined,
      );
      held = settled;
      void settled.then(() => {
        if (held === settled) held = undefined;
      });
      const until = performance.now() + waitMs;
      for (let left = waitMs; Atomics.load(ctl, 0) !== mine && left > 0; left = until - performance.now())
        Atomics.wait(ctl, 0, Atomics.load(ctl, 0), left);
      if (Atomics.load(ctl, 0) !== mine || ctl[2] !== 0) {
        counts.gaveUp++;
        return answer; // its message: the vectors, or the job's error
      }
      counts.waited++;
      // A copy: the next query writes over the shared vector.
      const vector = new Float32Array(shared, HEAD, dimension).slice();
      return Promise.resolve({ vectors: [vector], tokens: [ctl[1]!] });
    },
  };
}
