/**
 * Where the HNSW graphs live. hnswlib-node's `searchKnn` runs on the calling thread and an index
 * cannot be shared between threads, so on the event loop a single query's graph walk (~0.4 ms)
 * and its request's HTTP work (~0.08 ms) follow each other. With VECTORS_GRAPH_THREAD=1 (main.ts)
 * every graph lives in ONE worker thread instead, as the only copy (graph-thread.ts). Not the
 * default: it costs ~0.1 ms more CPU a query, and lost at moderate load on 2 cores
 * (../README.md#benchmark). Without the worker (the default) the same interface (GraphIndex) runs
 * hnswlib on the calling thread (LocalGraph, here; the worker holds its graphs as LocalGraphs too).
 */
import { createRequire } from 'node:module';
import type { HttpError } from '../../kit/server/index.js';
import { type Deadline, inRuns } from './deadline.js';
import type { GraphHost } from './graph-thread.js';
import { sliced, sortWork } from './slices.js';

const require = createRequire(import.meta.url);
type Hnsw = import('hnswlib-node').HierarchicalNSW;
const { HierarchicalNSW } = require('hnswlib-node') as typeof import('hnswlib-node');

export interface GraphParams {
  space: 'ip' | 'l2';
  dim: number;
  capacity: number;
  m: number;
  efConstruction: number;
}
/** Labels to leave out of a walk, or the only ones it may return. */
export interface WalkFilter {
  allowed?: Set<number>;
  excluded?: Set<number>;
}
/** A label and its score (Collection's Hit). */
export interface Walked {
  label: number;
  score: number;
}
export interface Walk {
  neighbors: ArrayLike<number>;
  /** Time inside hnswlib's searchKnn (GET /telemetry: the bench compares it with the library's). */
  ms: number;
}

/** One collection's graph, here or in the worker. Changes are applied in call order. */
export interface GraphIndex {
  getMaxElements(): number;
  resizeIndex(n: number): void;
  addPoint(v: Float32Array, label: number): void;
  markDelete(label: number): void;
  /** A checkpoint's graph file replaces the graph; errors surface at graphsReady(). */
  load(file: string, capacity: number): void;
  writeIndex(file: string): Promise<void>;
  search(q: Float32Array, k: number, ef: number, f: WalkFilter): Walk | Promise<Walk>;
  dispose(): void;
}

/**
 * What hnswlib would refuse, refused here first: in the worker a refused change ends the thread
 * (its graph would no longer follow the log), and a bad snapshot must get a 400, not do that.
 */
export function checkParams(p: GraphParams): GraphParams {
  const whole = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
  if (p.space !== 'ip' && p.space !== 'l2') throw new Error(`no graph for the distance's space ${p.space}`);
  // The API's own bounds (parse.ts); a capacity far past what the memory limit holds.
  if (!whole(p.dim, 1, 65_536) || !whole(p.capacity, 1, 2 ** 27) || !whole(p.m, 4, 128))
    throw new Error('graph parameters out of range');
  if (!whole(p.efConstruction, 4, 4096)) throw new Error('graph parameters out of range');
  return p;
}

/**
 * The k best labels by a bounded heap (worst on top), best first: exact search (Collection). With a
 * request's deadline, in slices (deadline.ts: `first` before the first pause, a Promise then).
 */
export function bestOf(
  labels: readonly number[],
  k: number,
  score: (label: number) => number,
  worse: (a: Walked, b: Walked) => boolean,
  dl?: Deadline,
  first?: () => void,
): Walked[] | Promise<Walked[]> {
  const heap: Walked[] = [];
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j]!, heap[i]!];
  };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[p]!)) return;
      swap(i, p);
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (l + 1 < heap.length && worse(heap[l + 1]!, heap[m]!)) m = l + 1;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  // By index in runs (inRuns), the deadline looked at between them: a check per label measured ~5 %
  // slower on 10k x 100-d, and a for-of over the labels ~2x slower than this loop.
  const later = inRuns(
    labels.length,
    (from, to) => {
      for (let i = from; i < to; i++) {
        const label = labels[i]!;
        const h = { label, score: score(label) };
        if (heap.length < k) {
          heap.push(h);
          up(heap.length - 1);
        } else if (worse(heap[0]!, h)) {
          heap[0] = h;
          down(0);
        }
      }
    },
    dl,
    first,
  );
  // Best first, in slices too: k is up to limit + offset (1.1M), and the sort of 1M hits took
  // ~1 s in one turn (test/security/vectors-id-sort-slices.test.ts). `first` once, before a pause.
  let paused = later !== undefined;
  const sorted = () =>
    sliced(
      sortWork(heap, (a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)),
      dl,
      () => {
        if (!paused) first?.();
        paused = true;
      },
    );
  return later ? later.then(sorted) : sorted();
}

/**
 * hnswlib on the calling thread: the in-process mode, and each graph of the graph worker
 * (graph-thread.ts). A search costs the binding's own call and nothing more that can be kept: the
 * capacity and the `ef` last set are remembered here (each a call into the addon otherwise, per
 * search), and the query goes to the binding (which reads a plain array only) in one array kept
 * for it, refilled per search, where `Array.from` of the query made a new one through the
 * iterator protocol (~1.4 % of the service's CPU on single queries, perf, 2026-12-01).
 */
export class LocalGraph implements GraphIndex {
  private readonly h: Hnsw;
  private max: number;
  /** The ef hnswlib has now; -1 after a load (readIndexSync makes a new index, at hnswlib's 10). */
  private ef = -1;
  private readonly query: number[];
  constructor(p: GraphParams) {
    checkParams(p);
    this.h = new HierarchicalNSW(p.space, p.dim);
    this.h.initIndex({ maxElements: p.capacity, m: p.m, efConstruction: p.efConstruction });
    this.max = p.capacity;
    this.query = Array.from({ length: p.dim }, () => 0.5);
  }
  getMaxElements(): number {
    return this.max;
  }
  resizeIndex(n: number): void {
    this.h.resizeIndex(n);
    this.max = n;
  }
  addPoint(v: Float32Array, label: number): void {
    this.h.addPoint(Array.from(v), label);
  }
  markDelete(label: number): void {
    this.h.markDelete(label);
  }
  load(file: string, capacity: number): void {
    this.ef = -1;
    this.h.readIndexSync(file);
    if (this.h.getMaxElements() < capacity) this.h.resizeIndex(capacity);
    this.max = this.h.getMaxElements();
  }
  writeIndex(file: string): Promise<void> {
    return this.h.writeIndex(file).then(() => undefined);
  }
  search(q: ArrayLike<number>, k: number, ef: number, f: WalkFilter): Walk {
    const { allowed, excluded } = f;
    const test = excluded?.size
      ? (l: number) => !excluded.has(l) && (!allowed || allowed.has(l))
      : allowed && ((l: number) => allowed.has(l));
    if (ef !== this.ef) {
      this.h.setEf(ef);
      this.ef = ef;
    }
    const arr = this.query;
    for (let i = 0; i < arr.length; i++) arr[i] = q[i]!;
    const t0 = performance.now();
    const res = this.h.searchKnn(arr, k, test);
    return { neighbors: res.neighbors, ms: performance.now() - t0 };
  }
  dispose(): void {}
}

/** How the graphs of new collections are made: in process until main.ts starts the worker. */
let host: GraphHost | undefined;
export function setGraphHost(h: GraphHost | undefined): void {
  host = h;
}
export function newGraph(p: GraphParams): GraphIndex {
  return host ? host.graph(p) : new LocalGraph(p);
}
/** Every graph change so far applied (the start waits for the checkpoint's graphs to load). */
export async function graphsReady(): Promise<void> {
  await host?.sync();
}
export function graphLost(): HttpError | undefined {
  return host?.lost ? host.lostError() : undefined;
}
