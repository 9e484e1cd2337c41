/**
 * A collection's image for a checkpoint or a snapshot (persist.ts CollectionImage), copied in two
 * parts: the fence (the per-label arrays, with writes held back: store.ts quiesce) and then the
 * vectors, the bulk, while writes go on (copy-on-write of the vectors they change). Before, writes
 * waited for the whole copy (0.7-2 s at 1M points; test/security/vectors-write-during-capture).
 */
import type { Collection } from './collection.js';
import type { CollectionImage } from './persist.js';

/** Numbers of the vectors copied between looks at the clock (256 KiB). */
const CAPTURE_RUN = 65_536;

/**
 * A copy whose fence is taken (the per-label arrays copied) and whose vectors are still being
 * copied while writes go on: a vector about to be changed that is not copied yet is kept as it
 * was first (Collection.beforeVectorWrite calls keep()), and put over the copy at the end.
 */
export class VectorCopy {
  private copied = 0; // labels wholly copied
  private readonly kept = new Map<number, Float32Array>();
  constructor(
    readonly image: CollectionImage,
    private readonly src: Float32Array,
    private readonly d: number,
  ) {}

  keep = (label: number): void => {
    if (label < this.copied || label >= this.image.ids.length || this.kept.has(label)) return;
    this.kept.set(label, this.src.slice(label * this.d, (label + 1) * this.d));
  };

  /** The copy, a run at a time; the vectors kept as they were put back at the end. */
  *work(): Generator<void, CollectionImage, void> {
    const out = this.image.vectors;
    for (let from = 0; from < out.length; from += CAPTURE_RUN) {
      const to = Math.min(out.length, from + CAPTURE_RUN);
      out.set(this.src.subarray(from, to), from);
      this.copied = Math.floor(to / this.d);
      yield;
    }
    for (const [label, v] of this.kept) out.set(v, label * this.d);
    this.kept.clear();
    return this.image;
  }
}

/**
 * The fence, a run at a time: yields between runs, where a caller may let the event loop turn as
 * long as nothing changes the collection meanwhile (Store holds writes back). The per-label lists
 * are copied, the graph's capacity read and the copy of the vectors set up: from its return on,
 * writes may go on while VectorCopy.work() copies the vectors (registered with the collection
 * before the caller lets writes through).
 */
function* fenceWork(c: Collection): Generator<void, VectorCopy, void> {
  const n = c.ids.length;
  // The per-label lists with slice(), one each (1M labels: a few ms; copied element by element
  // they were slower, and an array made with new Array(n) over 100,000 is a dictionary in V8).
  const ids = c.ids.slice();
  yield;
  const payloads = c.payloads.slice(0, n);
  yield;
  const versions = c.versions.slice(0, n);
  yield;
  const image: CollectionImage = {
    name: c.name,
    config: c.config,
    payloadSchema: { ...c.payloadSchema },
    ...(c.owner ? { owner: c.owner } : {}),
    capacity: c.index.getMaxElements(),
    ids,
    payloads,
    versions,
    // The bulk (100 numbers a point: 400 MB at 1M points, fresh pages to fault in): copied later.
    vectors: new Float32Array(n * c.config.size),
  };
  const copy = new VectorCopy(image, c.vectors, c.config.size);
  c.vectorCopies.add(copy.keep);
  return copy;
}

/** The image in one go (tests; the service captures in slices: fenceInSlices, copyInSlices). */
export function captureCollection(c: Collection): CollectionImage {
  const copy = runAll(fenceWork(c));
  try {
    return runAll(copy.work());
  } finally {
    c.vectorCopies.delete(copy.keep);
  }
}

function runAll<T>(work: Generator<void, T, void>): T {
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

/** `work` `sliceMs` at a time, the event loop turning between. */
async function inSlices<T>(work: Generator<void, T, void>, sliceMs: number): Promise<T> {
  for (;;) {
    const until = performance.now() + sliceMs;
    for (;;) {
      const r = work.next();
      if (r.done) return r.value;
      if (performance.now() >= until) break;
    }
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * The fence `sliceMs` of copying per turn (the caller holds writes back until it resolves:
 * Store.quiesce); then copyInSlices() with writes going on. 1M points of 100 numbers took
 * 0.75-1.5 s in one turn on the loaded 2-core VM (100k: 0.12-0.35 s), /health unanswered.
 */
export function fenceInSlices(c: Collection, sliceMs: number): Promise<VectorCopy> {
  return inSlices(fenceWork(c), sliceMs);
}

/**
 * The vectors copied `sliceMs` per turn while writes go on; the collection's hook removed after.
 * `pause` (tests) is awaited as the copy starts, to make it as slow as a large one.
 */
export async function copyInSlices(
  c: Collection,
  copy: VectorCopy,
  sliceMs: number,
  pause?: () => Promise<unknown>,
): Promise<CollectionImage> {
  try {
    await pause?.();
    return await inSlices(copy.work(), sliceMs);
  } finally {
    c.vectorCopies.delete(copy.keep);
  }
}

/** A collection whose fence is taken, its vectors still to copy (copyAll). */
export interface Fenced {
  c: Collection;
  name: string;
  base: string;
  copy: VectorCopy;
}

/** Every collection's fence (`base`: its files' name), then their graphs held (store.ts). */
export async function fenceAll(
  collections: Map<string, Collection>,
  base: (name: string) => string,
  sliceMs: number,
): Promise<Fenced[]> {
  const fenced: Fenced[] = [];
  try {
    for (const [name, c] of collections)
      fenced.push({ c, name, base: base(name), copy: await fenceInSlices(c, sliceMs) });
  } catch (err) {
    for (const t of fenced) t.c.vectorCopies.delete(t.copy.keep);
    throw err;
  }
  // hnswlib must not take a change while it writes a graph (in its own thread): changes that
  // come meanwhile are applied, logged and answered as always, and go into the graph after it.
  for (const t of fenced) t.c.holdGraph();
  return fenced;
}

/** Their vectors copied while writes go on; if that fails, the graphs released and hooks removed. */
export async function copyAll(
  fenced: Fenced[],
  sliceMs: number,
  pause?: () => Promise<unknown>,
): Promise<(Omit<Fenced, 'copy'> & { image: CollectionImage })[]> {
  const taken: (Omit<Fenced, 'copy'> & { image: CollectionImage })[] = [];
  try {
    for (const t of fenced)
      taken.push({
        c: t.c,
        name: t.name,
        base: t.base,
        image: await copyInSlices(t.c, t.copy, sliceMs, pause),
      });
  } catch (err) {
    for (const t of fenced) t.c.vectorCopies.delete(t.copy.keep);
    for (const t of fenced) t.c.releaseGraph();
    throw err;
  }
  return taken;
}

/**
 * One collection's image (a snapshot): its fence taken with writes held back (`quiesce` returns
 * their release), its vectors copied while they go on; undefined if there is none (`get` is
 * asked once the gate is held).
 */
export async function captureOne(
  get: () => Collection | undefined,
  quiesce: () => Promise<() => void>,
  sliceMs: number,
  pause?: () => Promise<unknown>,
): Promise<CollectionImage | undefined> {
  const release = await quiesce();
  let copy: VectorCopy | undefined;
  const c = get();
  try {
    copy = c && (await fenceInSlices(c, sliceMs));
  } finally {
    release();
  }
  return c && copy && copyInSlices(c, copy, sliceMs, pause);
}
