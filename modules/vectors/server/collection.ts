/**
 * One collection in memory: vectors in one Float32Array arena, payloads, ids, and an HNSW graph
 * (hnswlib-node) over the same labels. Exact search when the collection (or what a filter leaves)
 * is small; HNSW with the filter applied inside the graph walk otherwise. Mutations here are
 * synchronous and only called for operations already validated and written to the WAL (store.ts).
 */
import { createRequire } from 'node:module';
import type { Payload, Predicate } from './filter.js';
import { compareIds, type PointId, pointKey } from './ids.js';

const require = createRequire(import.meta.url);
type Hnsw = import('hnswlib-node').HierarchicalNSW;
const { HierarchicalNSW } = require('hnswlib-node') as typeof import('hnswlib-node');

export type Distance = 'Cosine' | 'Dot' | 'Euclid';
export interface CollectionConfig {
  size: number;
  distance: Distance;
  m: number;
  efConstruct: number;
  /** Below this many candidates, search is exact (Qdrant's full_scan_threshold, counted in points). */
  fullScanThreshold: number;
}
export interface Point {
  id: PointId;
  vector: number[] | Float32Array;
  payload?: Payload;
}
export interface Hit {
  label: number;
  score: number;
}

const space = { Cosine: 'ip', Dot: 'ip', Euclid: 'l2' } as const;

export class Collection {
  readonly name: string;
  readonly config: CollectionConfig;
  /** Per label; a free label has id undefined. */
  ids: (PointId | undefined)[] = [];
  payloads: (Payload | undefined)[] = [];
  versions: number[] = [];
  vectors: Float32Array;
  byKey = new Map<string, number>();
  free: number[] = [];
  /** Field name → schema, as created by PUT /index (used for the collection info; filters scan). */
  payloadSchema: Record<string, unknown> = {};
  index: Hnsw;
  private capacity: number;
  private sorted: number[] | undefined;

  constructor(name: string, config: CollectionConfig, capacity = 1024) {
    this.name = name;
    this.config = config;
    this.capacity = capacity;
    this.vectors = new Float32Array(capacity * config.size);
    this.index = new HierarchicalNSW(space[config.distance], config.size);
    this.index.initIndex({ maxElements: capacity, m: config.m, efConstruction: config.efConstruct });
  }

  get count(): number {
    return this.byKey.size;
  }

  vectorOf(label: number): Float32Array {
    const d = this.config.size;
    return this.vectors.subarray(label * d, (label + 1) * d);
  }

  /** Cosine vectors are stored normalised, as Qdrant does (and returns them). */
  prepare(v: ArrayLike<number>): Float32Array {
    const out = Float32Array.from(v);
    if (this.config.distance === 'Cosine') {
      let n = 0;
      for (let i = 0; i < out.length; i++) n += out[i]! * out[i]!;
      n = Math.sqrt(n);
      if (n > 0) for (let i = 0; i < out.length; i++) out[i]! /= n;
    }
    return out;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const next = new Float32Array(cap * this.config.size);
    next.set(this.vectors);
    this.vectors = next;
    this.index.resizeIndex(cap);
    this.capacity = cap;
  }

  upsert(p: Point, version: number): void {
    const key = pointKey(p.id);
    let label = this.byKey.get(key);
    if (label === undefined) {
      label = this.free.pop() ?? this.ids.length;
      if (label >= this.capacity) this.grow();
      this.byKey.set(key, label);
      this.ids[label] = p.id;
      this.sorted = undefined;
    }
    const v = this.prepare(p.vector);
    this.vectors.set(v, label * this.config.size);
    this.payloads[label] = p.payload;
    this.versions[label] = version;
    // Same label again: hnswlib updates the vector in place (and unmarks it if it was deleted).
    this.index.addPoint(Array.from(v), label);
  }

  delete(id: PointId): boolean {
    const key = pointKey(id);
    const label = this.byKey.get(key);
    if (label === undefined) return false;
    this.byKey.delete(key);
    this.ids[label] = undefined;
    this.payloads[label] = undefined;
    this.free.push(label);
    this.index.markDelete(label);
    this.sorted = undefined;
    return true;
  }

  labelOf(id: PointId): number | undefined {
    return this.byKey.get(pointKey(id));
  }

  /** Live labels in Qdrant's id order (cached until the set of ids changes). */
  orderedLabels(): number[] {
    if (!this.sorted) {
      this.sorted = [...this.byKey.values()].sort((a, b) => compareIds(this.ids[a]!, this.ids[b]!));
    }
    return this.sorted;
  }

  matching(filter: Predicate | undefined): number[] {
    const all = this.orderedLabels();
    return filter ? all.filter((l) => filter(this.ids[l]!, this.payloads[l])) : all;
  }

  score(q: Float32Array, label: number): number {
    const d = this.config.size;
    const base = label * d;
    const v = this.vectors;
    let s = 0;
    if (this.config.distance === 'Euclid') {
      for (let i = 0; i < d; i++) {
        const x = q[i]! - v[base + i]!;
        s += x * x;
      }
      return Math.sqrt(s);
    }
    for (let i = 0; i < d; i++) s += q[i]! * v[base + i]!;
    return s;
  }

  /** Higher is better for Cosine/Dot, lower (a distance) for Euclid. */
  better(a: number, b: number): boolean {
    return this.config.distance === 'Euclid' ? a < b : a > b;
  }

  search(
    vector: ArrayLike<number>,
    k: number,
    opts: { filter?: Predicate; ef?: number; exact?: boolean; threshold?: number },
  ): Hit[] {
    const q = this.prepare(vector);
    const live = this.count;
    if (k <= 0 || live === 0) return [];
    let hits: Hit[];
    const small = live <= this.config.fullScanThreshold;
    let candidates: number[] | undefined;
    // A filter that leaves few points: score those exactly instead of walking the graph around them.
    if (!small && !opts.exact && opts.filter) {
      const c = this.matching(opts.filter);
      if (c.length <= this.config.fullScanThreshold) candidates = c;
    }
    if (opts.exact || small || candidates) {
      hits = this.exact(q, k, candidates ?? this.matching(opts.filter));
    } else {
      const filter = opts.filter;
      this.index.setEf(Math.max(opts.ef ?? 128, k));
      const res = this.index.searchKnn(
        Array.from(q),
        Math.min(k, live),
        filter ? (l) => filter(this.ids[l]!, this.payloads[l]) : undefined,
      );
      // Scores from the stored vectors, so exact and graph search agree to the last bit.
      hits = res.neighbors.map((label) => ({ label, score: this.score(q, label) }));
      hits.sort((a, b) => (this.better(a.score, b.score) ? -1 : this.better(b.score, a.score) ? 1 : 0));
    }
    const t = opts.threshold;
    if (t !== undefined) hits = hits.filter((h) => h.score === t || this.better(h.score, t));
    return hits;
  }

  private exact(q: Float32Array, k: number, labels: number[]): Hit[] {
    // A bounded heap of the k best, worst on top.
    const heap: Hit[] = [];
    const worse = (a: Hit, b: Hit) => this.better(b.score, a.score);
    const up = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[p]!)) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (const label of labels) {
      const h = { label, score: this.score(q, label) };
      if (heap.length < k) {
        heap.push(h);
        up(heap.length - 1);
      } else if (worse(heap[0]!, h)) {
        heap[0] = h;
        down(0);
      }
    }
    return heap.sort((a, b) => (this.better(a.score, b.score) ? -1 : this.better(b.score, a.score) ? 1 : 0));
  }
}
