/**
 * Copy-on-write of a capture (capture.ts, 8cca727) against a model. Every path that changes a
 * vector or frees and reuses a label while the vectors are copied must leave the copy equal to
 * the state at the fence: an update of an existing id, a delete and an insert taking the freed
 * label, inserts past the capacity (the arrays grown and replaced), an upsert undone part way
 * (undo.ts putting vectors back), all between the copy's runs (part copied, part not). And on the
 * real store: rounds of random writes during checkpoint copies (drops and creations under the
 * same name among them), each checkpoint checked against the model at its operation and a
 * restart from the last one plus the log against the model of every acknowledged write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { VectorCopy } from '../../modules/vectors/server/capture.js';
import { Collection } from '../../modules/vectors/server/collection.js';
import { type CollectionImage, readCollectionFile } from '../../modules/vectors/server/persist.js';
import { Store } from '../../modules/vectors/server/store.js';
import { Journal, undoAfter } from '../../modules/vectors/server/undo.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

let seed = 7;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const vecOf = (d: number) => Array.from({ length: d }, () => rnd(1000) / 1000);

it('a copy equals the state at its fence whatever changes between its runs (updates, reused labels, growth, undone upserts)', () => {
  // d = 7 does not divide the copy's run (65,536 numbers): a label is split across two runs.
  const d = 7;
  const config = { size: d, distance: 'Dot' as const, m: 8, efConstruct: 32, fullScanThreshold: 0 };
  for (let round = 0; round < 6; round++) {
    const n0 = 20_000 + rnd(20_000);
    const c = new Collection('m', config, 1024);
    c.holdGraph(); // as during a checkpoint's copy (fenceAll): the graph takes no change
    let next = 0;
    for (; next < n0; next++) c.upsert({ id: next, vector: vecOf(d), payload: undefined }, 1);
    for (let i = 0; i < 2000; i++) c.delete(rnd(n0)); // free labels to reuse
    const n = c.ids.length;
    const want = c.vectors.slice(0, n * d);
    const image = { ids: c.ids.slice(), vectors: new Float32Array(n * d) } as unknown as CollectionImage;
    const copy = new VectorCopy(image, c.vectors, d);
    c.vectorCopies.add(copy.keep);
    const work = copy.work();
    let steps = 0;
    for (;;) {
      const r = work.next();
      if (r.done) break;
      steps++;
      // The label split between the run just copied and the next: part of it copied already.
      const split = Math.floor((steps * 65_536) / d);
      if (split < n && c.ids[split] !== undefined)
        c.upsert({ id: c.ids[split]!, vector: vecOf(d), payload: undefined }, 2);
      for (let k = 0; k < 300; k++) {
        const what = rnd(5);
        if (what === 0)
          c.upsert({ id: rnd(next), vector: vecOf(d), payload: undefined }, 2); // update or reinsert
        else if (what === 1) c.delete(rnd(next));
        else if (what === 2)
          c.upsert({ id: next++, vector: vecOf(d), payload: undefined }, 2); // a free label or growth
        else if (what === 3) {
          // An upsert undone after some of its points were written (undo.ts puts the vectors back).
          const j = new Journal();
          const points = Array.from({ length: 5 }, () => ({
            id: rnd(next + 5),
            vector: vecOf(d),
            payload: undefined,
          }));
          try {
            for (const p of points) {
              const step = j.point(c, p.id);
              c.upsert(p, 3);
              step.done = true;
            }
            throw new Error('a bug mid-apply');
          } catch (err) {
            undoAfter(j, err);
          }
        } else c.upsert({ id: rnd(next), vector: vecOf(d), payload: undefined }, 2);
      }
    }
    c.vectorCopies.delete(copy.keep);
    expect(steps).toBeGreaterThan(1);
    expect(c.vectors.length).toBeGreaterThan(want.length); // grown during the copy
    let diff = -1;
    for (let i = 0; i < want.length && diff < 0; i++) if (image.vectors[i] !== want[i]) diff = i;
    expect(diff).toBe(-1);
  }
}, 120_000);

type Model = Map<string, Map<number, { vector: number[]; payload: unknown }>>;
const copyModel = (m: Model): Model => new Map([...m].map(([k, v]) => [k, new Map(v)]));

it('rounds of random writes during checkpoint copies: each checkpoint is the model at its operation, a restart is the model of every acknowledged write', async () => {
  const d = 4;
  const config = { size: d, distance: 'Dot' as const, m: 8, efConstruct: 32, fullScanThreshold: 10 };
  const dir = tempDir('vec-cap-model-');
  const s = await Store.open(dir, quiet);
  const model: Model = new Map();
  const names = ['a', 'b'];
  for (const name of names) {
    await s.commit({ t: 'create', name, config });
    model.set(name, new Map());
  }
  const write = async (): Promise<void> => {
    const name = names[rnd(2)]!;
    const m = model.get(name);
    const what = rnd(12);
    if (!m || what === 0) {
      // Dropped, or dropped and created again under the same name.
      if (m) {
        await s.commit({ t: 'drop', name });
        model.delete(name);
      }
      if (rnd(2) === 0) {
        await s.commit({ t: 'create', name, config });
        model.set(name, new Map());
      }
      return;
    }
    if (what <= 3) {
      const ids = Array.from({ length: 1 + rnd(3) }, () => rnd(1500));
      await s.commit({ t: 'delete', c: name, ids });
      for (const id of ids) m.delete(id);
      return;
    }
    // Updates, reinserts into freed labels, and (past 1,024 points) growth.
    const points = Array.from({ length: 1 + rnd(what === 11 ? 400 : 8) }, () => ({
      id: rnd(1500),
      vector: vecOf(d),
      payload: { r: rnd(100) },
    }));
    await s.commit({ t: 'upsert', c: name, points });
    for (const p of points) m.set(p.id, { vector: p.vector.map(Math.fround), payload: p.payload });
  };
  const contents = (c: Collection) =>
    new Map(
      [...c.byKey.values()].map((l) => [
        c.ids[l] as number,
        { vector: Array.from(c.vectorOf(l)), payload: c.payloads[l] ?? null },
      ]),
    );
  for (let round = 0; round < 12; round++) {
    for (let k = 0; k < 30; k++) await write();
    const atFence = copyModel(model);
    // Writes during the copy, each awaited (acknowledged) before the copy goes on.
    (s as unknown as { copyPause?: () => Promise<unknown> }).copyPause = async () => {
      for (let k = 0; k < 10; k++) await write();
    };
    await s.checkpoint();
    const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.collections).sort()).toEqual([...atFence.keys()].sort());
    for (const [name, want] of atFence) {
      const { header, vecs } = readCollectionFile(
        readFileSync(join(dir, 'checkpoint', manifest.collections[name].file)),
      );
      const got = new Map(
        header.ids.map((id, j) => [
          id as number,
          { vector: Array.from(vecs.subarray(j * d, (j + 1) * d)), payload: header.payloads[j] },
        ]),
      );
      expect(got).toEqual(want);
    }
  }
  // A restart (this store not closed, as after a kill): the last checkpoint plus the log.
  const again = await Store.open(dir, quiet);
  expect([...again.collections.keys()].sort()).toEqual([...model.keys()].sort());
  for (const [name, want] of model) expect(contents(again.get(name)!)).toEqual(want);
  await again.close();
  await s.close();
}, 180_000);

const undoConfig = { size: 4, distance: 'Cosine' as const, m: 8, efConstruct: 32, fullScanThreshold: 0 };

/**
 * ms a store takes to apply the points of an upsert of `n` during a checkpoint's copy (the graph
 * held), its collection as the test below makes it: the least of 2.
 */
async function upsertDuringCopyMs(n: number) {
  const d = 4;
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 2; run++) {
    const s = await Store.open(tempDir('vec-cap-unit-'), quiet);
    await s.commit({ t: 'create', name: 'a', config: undoConfig });
    await s.commit({
      t: 'upsert',
      c: 'a',
      points: Array.from({ length: 800 }, (_, i) => ({ id: i, vector: vecOf(d), payload: { i } })),
    });
    const big = Array.from({ length: n }, (_, i) => ({ id: i, vector: vecOf(d), payload: { late: i } }));
    // From the first point applied to the last (not the log's write and sync around them).
    let first = 0;
    let last = 0;
    (s as unknown as { copyPause?: () => Promise<unknown> }).copyPause = async () => {
      const orig = Collection.prototype.setPayload;
      const spy = vi.spyOn(Collection.prototype, 'setPayload').mockImplementation(function (
        this: Collection,
        ...a
      ) {
        last = performance.now();
        if (!first) first = last;
        return orig.apply(this, a);
      });
      await s.commit({ t: 'upsert', c: 'a', points: big });
      spy.mockRestore();
      best = Math.min(best, last - first);
    };
    await s.checkpoint();
    await s.close();
  }
  return best;
}

it('a large upsert that throws part way during a checkpoint copy, searches walked between its slices: undone; the checkpoint and a restart agree with the model', async () => {
  const d = 4;
  const config = undoConfig;
  // The upsert is applied 10 ms at a time (store.ts), a search between its slices counted: its
  // size is measured, not fixed. 12,000 points (the 10,000th throwing) are applied in ~30 ms here,
  // 3 slices; after a warm-up (as a faster machine would run them, and the project's CI is
  // faster) they took one slice and one search came between: the test failed. So the points'
  // apply is timed first on a store of its own (12,000, from the first point applied to the last)
  // and the upsert sized for ~100 ms of it, with no cap, the 5/6th point throwing: 5-8 searches
  // between here.
  const unitMs = await upsertDuringCopyMs(12_000);
  const total = Math.max(12_000, Math.ceil((12_000 * 100) / unitMs));
  const throwAt = Math.round((total * 5) / 6);
  console.log(`12,000 points during a copy: ${unitMs.toFixed(0)} ms; ${total} points, ${throwAt}th throws`);
  const dir = tempDir('vec-cap-undo-');
  const s = await Store.open(dir, quiet);
  await s.commit({ t: 'create', name: 'a', config });
  const first = Array.from({ length: 800 }, (_, i) => ({ id: i, vector: vecOf(d), payload: { i } }));
  await s.commit({ t: 'upsert', c: 'a', points: first });
  const c = s.get('a')!;
  const before = new Map(first.map((p) => [p.id, Array.from(c.vectorOf(c.labelOf(p.id)!))]));
  const q = vecOf(d);
  const search = async () =>
    ((await c.search(q, 10, { ef: 64 })) as { label: number }[]).map((h) => c.ids[h.label]);
  const found = await search();
  // `total` points: updates of the first 800, then new ones past the capacity; the throwAt-th throws.
  const big = Array.from({ length: total }, (_, i) => ({ id: i, vector: vecOf(d), payload: { late: i } }));
  let seen = 0;
  let failed: unknown;
  (s as unknown as { copyPause?: () => Promise<unknown> }).copyPause = async () => {
    const orig = Collection.prototype.setPayload;
    let calls = 0;
    const spy = vi.spyOn(Collection.prototype, 'setPayload').mockImplementation(function (
      this: Collection,
      ...a
    ) {
      if (++calls === throwAt) throw new Error('a bug mid-apply');
      return orig.apply(this, a);
    });
    let searching = true;
    const between = (async () => {
      while (searching) {
        await search();
        seen++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    failed = await s.commit({ t: 'upsert', c: 'a', points: big }).catch((e: Error) => e.message);
    searching = false;
    await between;
    spy.mockRestore();
  };
  await s.checkpoint();
  expect(failed).toBe('a bug mid-apply');
  expect(seen).toBeGreaterThan(1);
  expect(c.count).toBe(800);
  expect(await search()).toEqual(found);
  const check = (col: Collection) => {
    expect(col.count).toBe(800);
    for (const [id, v] of before) expect(Array.from(col.vectorOf(col.labelOf(id)!))).toEqual(v);
  };
  check(c);
  const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint', 'manifest.json'), 'utf8'));
  const { header, vecs } = readCollectionFile(
    readFileSync(join(dir, 'checkpoint', manifest.collections.a.file)),
  );
  expect(header.ids.length).toBe(800);
  for (const [j, id] of header.ids.entries())
    expect(Array.from(vecs.subarray(j * d, (j + 1) * d))).toEqual(before.get(id as number));
  const again = await Store.open(dir, quiet);
  check(again.get('a')!);
  await again.close();
  await s.close();
}, 180_000);
