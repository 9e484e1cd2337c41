/**
 * The graph worker (VECTORS_GRAPH_THREAD=1, main.ts): every HNSW graph in ONE worker thread, its
 * only copy, so that the event loop parses, checks and answers requests while the worker walks the
 * graph for the previous one (graph.ts says why it is not the default).
 *
 * The main thread keeps everything else (ids, payloads, the stored vectors, the log) and sends the
 * worker each graph change in log order over one message port; a search is a request on the same
 * port (walked ahead of changes still queued there; a write is answered only once the worker has
 * it).
 */
import { parentPort, Worker } from 'node:worker_threads';
import { HttpError } from '../../kit/server/index.js';
import { checkParams, type GraphIndex, type GraphParams, LocalGraph, type WalkFilter } from './graph.js';

// Messages to the worker: [op, graph id, ...]; a batch of them per postMessage.
type Op =
  | ['init', number, GraphParams]
  | ['load', number, string, number]
  | ['resize', number, number]
  | ['add', number, number, Float32Array]
  | ['del', number, number]
  | ['drop', number]
  | ['write', number, number, string]
  | ['search', number, number, Float32Array, number, number, Int32Array | null, Int32Array | null]
  | ['sync', 0, number]
  | ['close', 0];
// Answers: [request id, error message or null, value].
type Answer = [number, string | null, unknown];

/** The graph worker applies changes this long at a time (an HNSW insert at m 32 takes 1–5 ms). */
const SLICE_MS = 10;
/** Changes sent at once at most; more are split (a log replay at start makes 100k's). */
const BATCH_OPS = 2048;
/** How long close() waits for the worker to end by itself (one native call; a graph load). */
const CLOSE_WAIT_MS = 60_000;

/** The main thread's side: one worker that holds every graph. */
export class GraphHost {
  private readonly worker: Worker;
  private ops: Op[] = [];
  private flushQueued = false;
  private nextGraph = 1;
  private nextReq = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private closing = false;
  private readonly exited: Promise<void>;
  /** Why the worker is gone, when it is (GET /health fails, searches get a 503). */
  lost: string | undefined;

  constructor(file: URL, onLost: (why: string) => void) {
    this.worker = new Worker(file, { workerData: { vectorsGraph: true } });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (a: Answer) => {
      const w = this.waiting.get(a[0]);
      if (!w) return;
      this.waiting.delete(a[0]);
      if (a[1] === null) w.resolve(a[2]);
      else w.reject(new Error(a[1]));
    });
    const gone = (why: string) => {
      if (this.closing || this.lost) return;
      this.lost = why;
      for (const w of this.waiting.values()) w.reject(this.lostError());
      this.waiting.clear();
      onLost(why);
    };
    this.worker.on('error', (err) => gone(`failed: ${err.message}`));
    this.worker.on('exit', (code) => gone(`exited with code ${code}`));
  }

  lostError(): HttpError {
    return new HttpError(
      503,
      `Service internal error: the graph thread ${this.lost}; restart the service (every acknowledged write is in its log)`,
    );
  }

  private send(op: Op, flushNow = false): void {
    if (this.lost) return; // the graphs are gone; the log has every change for the restart
    this.ops.push(op);
    if (flushNow || this.ops.length >= BATCH_OPS) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.worker.postMessage(ops);
  }

  private request<T>(make: (id: number) => Op): Promise<T> {
    if (this.lost) return Promise.reject(this.lostError());
    if (this.closing) return Promise.reject(closedError());
    const id = this.nextReq++;
    const p = new Promise<T>((resolve, reject) =>
      this.waiting.set(id, { resolve: resolve as never, reject }),
    );
    this.send(make(id), true);
    return p;
  }

  /** Resolves once the worker has applied every change sent so far (rejects if one failed). */
  sync(): Promise<void> {
    return this.request((id) => ['sync', 0, id]);
  }

  graph(p: GraphParams): GraphIndex {
    const g = this.nextGraph++;
    let max = p.capacity;
    this.send(['init', g, checkParams(p)]);
    return {
      getMaxElements: () => max,
      resizeIndex: (n) => {
        max = n;
        this.send(['resize', g, n]);
      },
      // Copied: the caller's array is a view of the collection's arena.
      addPoint: (v, label) => this.send(['add', g, label, v.slice()]),
      markDelete: (label) => this.send(['del', g, label]),
      load: (file, capacity) => {
        max = capacity;
        this.send(['load', g, file, capacity]);
      },
      writeIndex: (file) => this.request((id) => ['write', g, id, file]),
      search: (q, k, ef, f) =>
        this.request((id) => [
          'search',
          g,
          id,
          q,
          k,
          ef,
          f.allowed ? Int32Array.from(f.allowed) : null,
          f.excluded?.size ? Int32Array.from(f.excluded) : null,
        ]),
      dispose: () => this.send(['drop', g]),
    };
  }

  /**
   * Ends the worker between two of its calls into hnswlib, not inside one: `terminate()` during a
   * native call (a checkpoint's load at start, seconds for a large graph) aborts the process
   * (node-addon-api's throw into a terminating thread is fatal). Changes still queued are dropped
   * (the log has them); requests still waiting are refused.
   */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.ops = [];
      if (!this.lost) this.worker.postMessage([['close', 0]] satisfies Op[]);
    }
    // A worker stuck past this (a bug, not a load) is terminated as before.
    const stuck = setTimeout(() => void this.worker.terminate(), CLOSE_WAIT_MS);
    await this.exited;
    clearTimeout(stuck);
    for (const w of this.waiting.values()) w.reject(closedError());
    this.waiting.clear();
  }
}

const closedError = () => new HttpError(503, 'Service is stopping: the graph thread is closed');

/** The worker's side (main.ts starts it from the same bundle with workerData.vectorsGraph). */
export function serveGraphs(): void {
  const port = parentPort!;
  const graphs = new Map<number, LocalGraph>();
  // Tests only: the worker ends after this many searches (a crash of the graph thread).
  const exitAfter = Number(process.env.VECTORS_TEST_GRAPH_EXIT_AFTER ?? 0);
  let searches = 0;
  const get = (g: number) => {
    const h = graphs.get(g);
    if (!h) throw new Error(`graph ${g} does not exist`);
    return h;
  };
  const run = (op: Op): void => {
    switch (op[0]) {
      case 'init':
        graphs.set(op[1], new LocalGraph(op[2]));
        return;
      case 'load':
        get(op[1]).load(op[2], op[3]);
        return;
      case 'resize': {
        const h = get(op[1]);
        if (op[2] > h.getMaxElements()) h.resizeIndex(op[2]);
        return;
      }
      case 'add':
        get(op[1]).addPoint(op[3], op[2]);
        return;
      case 'del':
        get(op[1]).markDelete(op[2]);
        return;
      case 'drop':
        graphs.delete(op[1]);
        return;
      case 'sync':
        port.postMessage([op[2], null, null] satisfies Answer);
        return;
      case 'close':
        return;
      case 'write': {
        // hnswlib writes in its own thread; the main thread holds changes back meanwhile
        // (Collection.holdGraph), so searches may go on here.
        const id = op[2];
        get(op[1])
          .writeIndex(op[3])
          .then(
            () => port.postMessage([id, null, null] satisfies Answer),
            (err: Error) => port.postMessage([id, err.message, null] satisfies Answer),
          );
        return;
      }
      case 'search': {
        const [, g, id, q, k, ef, allowed, excluded] = op;
        if (exitAfter > 0 && ++searches > exitAfter) process.exit(3);
        const f: WalkFilter = {
          allowed: allowed ? new Set(allowed) : undefined,
          excluded: excluded ? new Set(excluded) : undefined,
        };
        const h = get(g);
        // A resize may still be queued behind (changes run in slices): k within what is there.
        const r = h.search(q, Math.min(k, h.getMaxElements()), ef, f);
        port.postMessage([id, null, { neighbors: Int32Array.from(r.neighbors), ms: r.ms }] satisfies Answer);
        return;
      }
    }
  };
  const runOne = (op: Op): void => {
    try {
      run(op);
    } catch (err) {
      // A request gets its error; a failed change leaves the graph unlike the log: the worker
      // ends, and the main thread reports the graph lost (GraphHost: /health fails).
      const msg = (err as Error).message;
      if (op[0] === 'search' || op[0] === 'write' || op[0] === 'sync')
        port.postMessage([op[2], msg, null] satisfies Answer);
      if (op[0] !== 'search') throw err;
    }
  };
  // Changes (and the syncs and writes behind them) run in order, SLICE_MS at a time, a turn of
  // this thread's event loop between slices: a large upsert's inserts (seconds) would otherwise
  // hold every search sent after them. A search is walked as soon as it arrives, on the graph as
  // the changes before it have left it: the main thread answers a write only after a sync behind
  // its changes (Store.commit), so a search sent after that answer sees the write.
  let queue: Op[] = [];
  let head = 0;
  let draining = false;
  let closing = false;
  const drain = () => {
    if (closing) return;
    const until = performance.now() + SLICE_MS;
    while (head < queue.length && performance.now() < until) runOne(queue[head++]!);
    if (head < queue.length) setImmediate(drain);
    else {
      queue = [];
      head = 0;
      draining = false;
    }
  };
  port.on('message', (ops: Op[]) => {
    if (closing) return;
    if (ops.some((op) => op[0] === 'close')) {
      // Between two calls into hnswlib here; what is queued is dropped. Closing the port leaves
      // the loop empty once a graph write in hnswlib's own thread has finished: the worker ends.
      closing = true;
      queue = [];
      head = 0;
      port.close();
      return;
    }
    for (const op of ops)
      if (op[0] === 'search' && graphs.has(op[1])) runOne(op);
      else queue.push(op); // a search on a graph still to be made waits for it
    if (!draining && head < queue.length) {
      draining = true;
      drain();
    }
  });
}
