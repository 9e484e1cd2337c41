/**
 * The service's HNSW graph is the library's graph for the same points in the same order.
 *
 * The vectors bench (docs/figures.md, thirty-sixth session) read a recall@10 0.001–0.005 under the
 * library's when the graph was built on the event loop, equal with the graph worker. The cause: a
 * checkpoint holds the graph while hnswlib writes it (Collection.holdGraph); the points upserted
 * meanwhile wait, and after the write they went in 10 ms a turn (graph-queue.ts), while the points
 * upserted in those turns went into the graph at once, ahead of the ones still waiting. hnswlib
 * draws each new point's level from its seeded generator in insertion order and links it to the
 * points already there, so another order is another graph (here: other neighbours for most
 * queries). The graph worker's queue emptied in one turn (a message per point), so its order held.
 *
 * Same vectors (the collection's own, normalised as stored), same m / ef_construct / seed: the
 * graphs must be equal, so every query's neighbours and distances are the library's, exactly.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { Collection, type CollectionConfig } from '../../modules/vectors/server/collection.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node') as typeof import('hnswlib-node');

const D = 32;
/** A pseudo-random vector per id (deterministic). */
const vec = (id: number) => {
  let seed = (id * 2654435761 + 1) >>> 0;
  return Array.from({ length: D }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  });
};
const config: CollectionConfig = {
  size: D,
  distance: 'Cosine',
  m: 16,
  efConstruct: 100,
  fullScanThreshold: 10,
};
const BEFORE = 1_000; // in the graph before the checkpoint
const HELD = 3_000; // upserted while the graph is written: far more than 10 ms of inserts
const AFTER = 1_000; // upserted just after the write, while the held ones go in
const N = BEFORE + HELD + AFTER;

/** The library as a user runs it: the same vectors, inserted in the order they came. */
function library(c: Collection) {
  const lib = new HierarchicalNSW('ip', D);
  lib.initIndex({ maxElements: N, m: config.m, efConstruction: config.efConstruct });
  for (let label = 0; label < N; label++) lib.addPoint(Array.from(c.vectorOf(label)), label);
  lib.setEf(64);
  return lib;
}

async function drained(c: Collection) {
  while (c.graphBusy) await new Promise((r) => setImmediate(r));
}

/** Each query's 10 neighbours (labels and distances) in both graphs. */
function compare(c: Collection) {
  const lib = library(c);
  const differ: number[] = [];
  for (let i = 0; i < 100; i++) {
    const q = c.prepare(vec(1_000_000 + i));
    const ours = c.index.search(q, 10, 64, {});
    if (ours instanceof Promise) throw new Error('the graph is in process here');
    const theirs = lib.searchKnn(Array.from(q), 10);
    const same = JSON.stringify(Array.from(ours.neighbors)) === JSON.stringify(Array.from(theirs.neighbors));
    if (!same) differ.push(i);
  }
  return differ;
}

it('a graph built straight through: the library’s neighbours for every query', async () => {
  const c = new Collection('straight', config);
  for (let i = 0; i < N; i++) c.upsert({ id: i, vector: vec(i) }, 1);
  expect(compare(c)).toEqual([]);
  c.dispose();
}, 120_000);

it('a graph held by a checkpoint while points came: still the library’s neighbours (the order kept)', async () => {
  const c = new Collection('held', config);
  for (let i = 0; i < BEFORE; i++) c.upsert({ id: i, vector: vec(i) }, 1);
  c.holdGraph(); // the checkpoint's write begins
  for (let i = BEFORE; i < BEFORE + HELD; i++) c.upsert({ id: i, vector: vec(i) }, 2);
  c.releaseGraph(); // written: the held points go in, 10 ms a turn
  // The next upserts come in the turns that follow (the service applies one change a turn slice).
  await new Promise((r) => setImmediate(r));
  for (let i = BEFORE + HELD; i < N; i++) {
    c.upsert({ id: i, vector: vec(i) }, 3);
    if (i % 100 === 0) await new Promise((r) => setImmediate(r));
  }
  await drained(c);
  expect(c.count).toBe(N);
  expect(compare(c)).toEqual([]);
  c.dispose();
}, 120_000);

it('through the store: upserts during and after a checkpoint’s graph write keep their order, and wait while the held ones go in', async () => {
  const s = await Store.open(tempDir('vec-graph-order-'), quiet);
  await s.commit({ t: 'create', name: 'g', config });
  /** Sizes of the graph's queue as each commit is answered. */
  const queued: number[] = [];
  const upsert = async (from: number, to: number, batch = 50) => {
    for (let i = from; i < to; i += batch) {
      const points = Array.from({ length: Math.min(batch, to - i) }, (_, j) => ({
        id: i + j,
        vector: vec(i + j),
      }));
      await s.commit({ t: 'upsert', c: 'g', points });
      queued.push(s.get('g')!.graphWaiting()?.size ?? 0);
    }
  };
  await upsert(0, BEFORE);
  // The checkpoint stops after writing the graph (a test's knob), the graph still held.
  let written: (() => void) | undefined;
  s.graphPause = () => new Promise<void>((r) => (written = r));
  const checkpoint = s.checkpoint();
  while (!written) await new Promise((r) => setImmediate(r));
  await upsert(BEFORE, BEFORE + HELD); // answered at once; their graph inserts wait
  const c = s.get('g')!;
  expect(c.graphWaiting()?.size).toBe(HELD);
  written();
  while (!c.graphDrained()) await new Promise((r) => setImmediate(r)); // released: they go in
  // Sent while the held ones go in: applied once they are all in, each straight into the graph.
  queued.length = 0;
  await Promise.all([upsert(BEFORE + HELD, N), checkpoint]);
  expect(queued).toEqual(Array(AFTER / 50).fill(0));
  expect(c.count).toBe(N);
  expect(compare(c)).toEqual([]);
}, 120_000);
