/**
 * One collection in memory: vectors in one Float32Array arena, payloads, ids, and an HNSW graph
 * (hnswlib-node) over the same labels. Exact search when the collection (or what a filter leaves)
 * is small; HNSW with the filter applied inside the graph walk otherwise. A payload index on a
 * field (value → labels) gives a filter its candidates without reading every payload. Mutations
 * here are synchronous and only called for operations already validated and written to the WAL
 * (store.ts); the payload indexes are derived state, rebuilt from `payloadSchema` at load.
 */
import { type SearchOptions, searchCollection } from './collection-search.js';
import type { CollectionConfig, Hit, Owner, Point } from './collection-types.js';
import { type Deadline, inRuns } from './deadline.js';
import { FieldIndexes } from './field-index.js';
import type { Filter, Payload } from './filter.js';
import { type GraphIndex, newGraph } from './graph.js';
import { GraphQueue } from './graph-queue.js';
import { compareIds, type PointId, pointKey } from './ids.js';
import { andThen, SORT_RUN, sliced, sortWork } from './slices.js';
import { postingsParams } from './text-postings.js';
import { asQuery, scoreAt } from './vector-math.js';

export type { CollectionConfig, Distance, Hit, Owner, Point } from './collection-types.js';

const space = { Cosine: 'ip', Dot: 'ip', Euclid: 'l2' } as const;

export class Collection {
  readonly name: string;
  /** Replaced whole, never changed in place, by a metadata update (ops.ts): a capture keeps its own. */
  config: CollectionConfig;
  /** The consumer that made it, kept in the log and the checkpoint (none: the admin's, or from before). */
  owner: Owner | undefined;
  /** Per label; a free label has id undefined. */
  ids: (PointId | undefined)[] = [];
  payloads: (Payload | undefined)[] = [];
  versions: number[] = [];
  vectors: Float32Array;
  byKey = new Map<string, number>();
  free: number[] = [];
  /** Field name → schema, as created by PUT /index (persisted; the value indexes below follow it). */
  payloadSchema: Record<string, unknown> = {};
  /** The payload indexes (field-index.ts). */
  readonly fieldIndexes = new FieldIndexes();
  /**
   * How filters and searches were served since start (GET /telemetry; tests check the index is used),
   * and the time spent inside hnswlib's graph search (the bench compares it with the library's own).
   */
  readonly stats = { indexedFilters: 0, scannedFilters: 0, exactSearches: 0, hnswSearches: 0, hnswMs: 0 };
  /** Copies of the vectors under way while writes go on (persist.ts VectorCopy: copy-on-write). */
  readonly vectorCopies = new Set<(label: number) => void>();
  /** The HNSW graph: in the graph worker in the service (graph.ts), here in tests. */
  index: GraphIndex;
  private capacity: number;
  private sorted: number[] | undefined;
  /** Live labels in no particular order (cached as `sorted` is): what scans that need no order walk. */
  private live: number[] | undefined;
  /** Counts changes to points (a scan that paused checks what it found again if this moved). */
  private changes = 0;
  /** Counts changes to the set of ids (an id order sorted meanwhile is not kept: orderedLabels). */
  private idSet = 0;
  /** Changes that wait while a checkpoint writes the graph (graph-queue.ts). */
  private readonly graphQueue = new GraphQueue();
  /**
   * The query of a search whose graph walk runs here (LocalGraph: synchronous, so the query is done
   * with before the next search starts), prepared in this one array: a new Float32Array of a
   * query's size has a malloc'd backing store the GC tracks as external memory, ~3 us each in a
   * loop on the 2-core VM and ~1 % of the service's CPU in batches of 16 (perf, 2026-12-01). A walk
   * in the graph worker answers later, so its query gets an array of its own.
   */
  queryScratch: Float32Array | undefined;

  constructor(name: string, config: CollectionConfig, capacity = 1024) {
    this.name = name;
    this.config = config;
    this.capacity = capacity;
    this.vectors = new Float32Array(capacity * config.size);
    this.index = newGraph({
      space: space[config.distance],
      dim: config.size,
      capacity,
      m: config.m,
      efConstruction: config.efConstruct,
    });
  }

  private disposed = false;

  /**
   * Its graph freed (dropped or replaced by a restore). While a checkpoint holds it (capture.ts:
   * a drop during the vectors' copy) it is freed once written (releaseGraph): the graph worker,
   * asked to write a graph it had freed, threw and ended (test/security/vectors-capture-drop).
   */
  dispose(): void {
    this.disposed = true;
    if (!this.graphQueue.writing) this.index.dispose();
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
    return asQuery(v, this.config.distance, new Float32Array(v.length));
  }

  /**
   * A query with the values prepare() gives (float32, normalised in float32 for Cosine), in a
   * Float32Array: what the graph worker's message copies in one block.
   */
  prepareQuery(v: ArrayLike<number>, into?: Float32Array): Float32Array {
    return asQuery(v, this.config.distance, into?.length === v.length ? into : new Float32Array(v.length));
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const next = new Float32Array(cap * this.config.size);
    next.set(this.vectors);
    this.vectors = next;
    if (!this.graphQueue.writing) this.index.resizeIndex(cap); // else when the write is over
    this.capacity = cap;
  }

  /** Before a checkpoint writes this graph: changes from now on wait (graph-queue.ts). */
  holdGraph(): void {
    this.graphQueue.hold();
  }

  /** After the write: the changes that waited go into the graph, a slice per turn (graph-queue.ts). */
  releaseGraph(): void {
    if (this.disposed) {
      this.graphQueue.release(() => undefined);
      this.index.dispose();
      return;
    }
    if (this.index.getMaxElements() < this.capacity) this.index.resizeIndex(this.capacity);
    this.graphQueue.release((label, wasLive) => {
      if (this.ids[label] !== undefined) this.index.addPoint(this.vectorOf(label), label);
      else if (wasLive) this.index.markDelete(label);
    });
  }

  /** True until every change that waited for a graph write is in the graph. */
  get graphBusy(): boolean {
    return this.graphQueue.busy;
  }

  /** While the changes that waited for a graph write go in (after it): when they all are. */
  graphDrained(): Promise<void> | undefined {
    return this.graphQueue.drained();
  }

  /** Before a label's vector is written over: copies under way keep the old one first. */
  beforeVectorWrite(label: number): void {
    for (const keep of this.vectorCopies) keep(label);
  }

  /** Records a label's first change while the graph waits; true when the graph must not be touched. */
  deferGraph(label: number): boolean {
    return this.graphQueue.defer(label, this.ids[label] !== undefined);
  }

  /**
   * What upsert() needs of a point, checked before it changes anything (ops.ts checks a whole
   * upsert with it first): a vector of the collection's size (a longer one was written over the
   * next label's vector before hnswlib refused it, leaving the point half there) and an id.
   */
  checkPoint(p: Point): void {
    const n = (p.vector as ArrayLike<number> | undefined)?.length;
    if (n !== this.config.size)
      throw new Error(
        `point ${JSON.stringify(p.id)} has a vector of ${n} numbers; the collection's size is ${this.config.size}`,
      );
    if (typeof p.id !== 'number' && typeof p.id !== 'string') throw new Error('a point has no id');
  }

  /**
   * The graph step comes last, and a free label leaves the free list only as it is taken: a step
   * that throws leaves what undo.ts can put back (the graph untouched for this point).
   */
  upsert(p: Point, version: number): void {
    this.checkPoint(p);
    const key = pointKey(p.id);
    const v = this.prepare(p.vector);
    let label = this.byKey.get(key);
    if (label === undefined) {
      const reuse = this.free.length > 0;
      label = reuse ? this.free.at(-1)! : this.ids.length;
      if (label >= this.capacity) this.grow();
      this.deferGraph(label); // before the label becomes live: it was not live in the graph
      if (reuse) this.free.pop();
      this.byKey.set(key, label);
      this.ids[label] = p.id;
      this.idsChanged();
    }
    this.beforeVectorWrite(label);
    this.vectors.set(v, label * this.config.size);
    this.setPayload(label, p.payload);
    this.versions[label] = version;
    // Same label again: hnswlib updates the vector in place (and unmarks it if it was deleted).
    if (!this.deferGraph(label)) this.index.addPoint(v, label);
  }

  delete(id: PointId): boolean {
    const key = pointKey(id);
    const label = this.byKey.get(key);
    if (label === undefined) return false;
    const deferred = this.deferGraph(label); // while still live
    this.byKey.delete(key);
    this.setPayload(label, undefined);
    this.ids[label] = undefined;
    this.free.push(label);
    this.idsChanged();
    if (!deferred) this.index.markDelete(label);
    return true;
  }

  /** The set of ids changed: the cached orders are stale. */
  idsChanged(): void {
    this.sorted = undefined;
    this.live = undefined;
    this.idSet++;
  }

  labelOf(id: PointId): number | undefined {
    return this.byKey.get(pointKey(id));
  }

  /** The one way a payload changes (upserts and deletes too), so that the field indexes follow. */
  setPayload(label: number, payload: Payload | undefined): void {
    this.changes++;
    const old = this.payloads[label];
    this.fieldIndexes.update(label, old, -1);
    try {
      this.fieldIndexes.update(label, payload, 1);
    } catch (err) {
      this.fieldIndexes.update(label, old, 1); // update() changes nothing when it throws
      throw err;
    }
    this.payloads[label] = payload;
  }

  /** Builds the value index of a field (a text one's postings too) from the payloads there now (PUT /index, a log replay; a load or a restore: snapshot-build.ts). */
  createFieldIndex(field: string): void {
    const { built } = this.fieldIndexes;
    this.fieldIndexes.built = undefined;
    // Built aside in the change's slices from the points as they are (apply-change.ts).
    if (built?.field === field && built.schema === this.payloadSchema[field]) {
      this.fieldIndexes.restore(field, built.index);
      return;
    }
    this.fieldIndexes.create(field, postingsParams(this.payloadSchema[field]));
    for (const label of this.byKey.values()) this.fieldIndexes.update(label, this.payloads[label], 1, field);
  }

  /** How many changes to points there were so far (work that paused compares it: mmr.ts). */
  get changeCount(): number {
    return this.changes;
  }

  /**
   * Live labels in Qdrant's id order (cached until the set of ids changes). Without a deadline in
   * one go; with one in its slices (the sort took ~1.1 s at 1M points in one turn): an order sorted
   * while the set of ids changed leaves out the points changed meanwhile and is not cached.
   */
  orderedLabels(): number[];
  orderedLabels(dl: Deadline | undefined): number[] | Promise<number[]>;
  orderedLabels(dl?: Deadline): number[] | Promise<number[]> {
    if (this.sorted) return this.sorted;
    const at = this.idSet;
    return andThen(this.sortById([...this.byKey.values()], dl), (sorted) => {
      if (this.idSet === at) this.sorted = sorted;
      return sorted;
    });
  }

  /**
   * `labels` (the caller's to give up) in id order; with a deadline in its slices (slices.ts). Ids
   * are compared as they were when it began: a label whose id changed while it paused (freed, or
   * taken by a new point) is left out, and with `filter` so is a point that no longer passes it.
   */
  private sortById(labels: number[], dl?: Deadline, filter?: Filter): number[] | Promise<number[]> {
    // A short list is sorted at once (sortWork would not pause): no copy of its ids.
    if (!dl || labels.length <= SORT_RUN)
      return labels.sort((a, b) => compareIds(this.ids[a]!, this.ids[b]!));
    const key = labels.map((l) => this.ids[l]);
    const changes = this.changes;
    const at = labels.map((_, i) => i);
    return andThen(
      sliced(
        sortWork(at, (a, b) => compareIds(key[a]!, key[b]!)),
        dl,
      ),
      (order) => {
        if (this.changes === changes) return order.map((i) => labels[i]!);
        const still = (i: number) =>
          this.ids[labels[i]!] === key[i] && (!filter || this.passes(labels[i]!, filter));
        return order.filter(still).map((i) => labels[i]!);
      },
    );
  }

  /**
   * Live labels for scans that need no order (count, search, writes by filter): the id order when
   * it is built, else the labels as they come (no sort: ~0.8 s at 1M points, redone after every
   * change to the set of ids, in one turn of the event loop).
   */
  liveLabels(): number[] {
    if (this.sorted) return this.sorted;
    this.live ??= [...this.byKey.values()];
    return this.live;
  }

  /**
   * The live labels a filter matches, in id order: from the field indexes when it can, else a scan
   * of every payload. With a request's deadline a scan longer than a slice lets the event loop turn
   * between slices (deadline.ts; a Promise then): if the collection changed meanwhile, what it found
   * is checked again against the points there now (no copy of the collection is held meanwhile).
   */
  matching(filter: Filter | undefined, dl?: Deadline, ordered = true): number[] | Promise<number[]> {
    if (!filter) return ordered ? this.orderedLabels(dl) : this.liveLabels();
    // must_not text conditions alone: the live labels less those their postings name, no payload
    // read; scanned as below if the points changed while it paused (test/vectors/text-must-not.test.ts).
    const changes = this.changes;
    const ex = filter.noneOf && this.fieldIndexes.excluded(filter, dl);
    if (ex)
      return andThen(ex, (out) =>
        andThen(ordered ? this.orderedLabels(dl) : this.liveLabels(), (labels) => {
          if (!out || this.changes !== changes) return this.matchingOf(filter, dl, ordered);
          this.stats.indexedFilters++;
          return out.size === 0 ? labels.slice() : labels.filter((l) => !out.has(l));
        }),
      );
    return this.matchingOf(filter, dl, ordered);
  }

  private matchingOf(
    filter: Filter,
    dl: Deadline | undefined,
    ordered: boolean,
  ): number[] | Promise<number[]> {
    // The unions of indexed values (field-index.ts), the scan and, for an order, the sort of what
    // passed (candidates come in no order), each in the request's slices.
    return andThen(this.fieldIndexes.candidates(filter, dl), (cand) => {
      if (cand) this.stats.indexedFilters++;
      else this.stats.scannedFilters++;
      const labels = cand ? [...cand] : ordered ? this.orderedLabels(dl) : this.liveLabels();
      return andThen(labels, (l) => this.scan(filter, l, dl, cand !== undefined && ordered));
    });
  }

  private scan(filter: Filter, labels: number[], dl: Deadline | undefined, sort: boolean) {
    const inOrder = (list: number[]) => (sort ? this.sortById(list, dl, filter) : list);
    const { ids, payloads } = this;
    const out: number[] = [];
    const changes = this.changes;
    const later = inRuns(
      labels.length,
      (from, to) => {
        for (let i = from; i < to; i++) {
          const l = labels[i]!;
          const id = ids[l]; // a label freed during a pause has none
          if (id !== undefined && filter(id, payloads[l])) out.push(l);
        }
      },
      dl,
    );
    if (!later) return inOrder(out);
    return later.then(() =>
      inOrder(this.changes === changes ? out : out.filter((l) => this.passes(l, filter))),
    );
  }

  /** Whether a label holds a point now that passes `filter`. */
  passes(l: number, filter: Filter | undefined): boolean {
    const id = this.ids[l];
    return id !== undefined && (!filter || filter(id, this.payloads[l]));
  }

  score(q: ArrayLike<number>, label: number): number {
    return scoreAt(q, this.vectors, label * this.config.size, this.config.size, this.config.distance);
  }

  /** Higher is better for Cosine/Dot, lower (a distance) for Euclid. */
  better(a: number, b: number): boolean {
    return this.config.distance === 'Euclid' ? a < b : a > b;
  }

  /**
   * The best k; a graph search in the graph worker, or a filter scan or exact search that lets the
   * event loop turn (matching(), exact search), answers later (a Promise then): collection-search.ts.
   */
  search(vector: ArrayLike<number>, k: number, opts: SearchOptions): Hit[] | Promise<Hit[]> {
    return searchCollection(this, vector, k, opts);
  }

  /** The labels whose change is not in the graph yet (graph-queue.ts; none: undefined). */
  graphWaiting(): Set<number> | undefined {
    return this.graphQueue.waiting();
  }

  /** Lower score first, and among equal scores the higher label: one order whatever the input order. */
  worse(a: Hit, b: Hit): boolean {
    return this.better(b.score, a.score) || (a.score === b.score && a.label > b.label);
  }
}
