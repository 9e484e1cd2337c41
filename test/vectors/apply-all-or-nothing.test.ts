/**
 * A change that throws part way through being applied (a bug past the request's checks: no input
 * reaches one from the API today, since every upsert's points are checked first and a payload
 * array no longer overflows the stack, test/security/vectors-large-arrays) is undone in memory:
 * the collection is exactly as before (ids, labels, free list, vectors, payloads, versions, field
 * indexes, the graph) and not red. Before, what came before the step that threw stayed until a
 * restart and the collection reported red meanwhile. The failure is injected through the module's
 * own methods (the graph's addPoint / markDelete, setPayload, the field index update), in process
 * on the real store.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Collection, type Hit } from '../../modules/vectors/server/collection.js';
import { FieldIndexes } from '../../modules/vectors/server/field-index.js';
import { LocalGraph } from '../../modules/vectors/server/graph.js';
import { collectionInfo } from '../../modules/vectors/server/info.js';
import type { Op } from '../../modules/vectors/server/ops.js';
import { Store } from '../../modules/vectors/server/store.js';
import { recordingLog } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const lines: string[] = [];
const log = recordingLog(lines);
// fullScanThreshold 0: every search walks the graph, so a graph left changed would show.
const config = { size: 2, distance: 'Cosine' as const, m: 16, efConstruct: 100, fullScanThreshold: 0 };
const point = (id: number, tag = 'x') => ({
  id,
  vector: [Math.sin(id) + 2, Math.cos(id)],
  payload: { tag, n: id },
});

/** Everything a change may touch, as plain data. */
function state(c: Collection) {
  const n = c.ids.length;
  return {
    ids: c.ids.slice(),
    byKey: [...c.byKey].sort(),
    free: c.free.slice(),
    payloads: c.payloads.slice(0, n),
    versions: c.versions.slice(0, n),
    vectors: Array.from(c.vectors.subarray(0, n * c.config.size)),
    schema: { ...c.payloadSchema },
    indexes: [...c.fieldIndexes].map(([f, m]) => [
      f,
      c.fieldIndexes.count(f),
      [...m].map(([v, s]) => [v, [...s].sort()]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ]),
  };
}

/** Ids and scores a graph walk finds for a few queries. */
function walks(c: Collection) {
  return [0, 1, 2, 3].map((i) =>
    (c.search([Math.sin(i) + 2, Math.cos(i)], 10, { ef: 64 }) as Hit[]).map((h) => [c.ids[h.label], h.score]),
  );
}

/** The `n`th call of `proto[name]` throws; the others run as usual. */
function failOnCall(proto: object, name: string, n: number): void {
  const orig = (proto as Record<string, (...a: unknown[]) => unknown>)[name]!;
  let calls = 0;
  vi.spyOn(proto as Record<string, () => unknown>, name).mockImplementation(function (
    this: unknown,
    ...a: unknown[]
  ) {
    if (++calls === n) throw new Error('a bug mid-apply');
    return orig.apply(this, a);
  });
}

async function opened(): Promise<{ dir: string; s: Store; c: Collection }> {
  const dir = tempDir('vec-undo-');
  const s = await Store.open(dir, log);
  await s.commit({ t: 'create', name: 'a', config });
  await s.commit({ t: 'index', c: 'a', field: 'tag', schema: 'keyword' });
  await s.commit({ t: 'upsert', c: 'a', points: [point(1), point(2), point(5), point(6)] });
  await s.commit({ t: 'delete', c: 'a', ids: [5] }); // a free label for the next insert to take
  return { dir, s, c: s.get('a')! };
}

afterEach(() => {
  vi.restoreAllMocks();
  lines.length = 0;
});

/** Commits `op` with the failure armed: refused, the collection as before and green, then changes go on. */
async function refusedAndUndone(s: Store, c: Collection, op: Op, arm: () => void): Promise<void> {
  const before = state(c);
  const found = walks(c);
  arm();
  await expect(s.commit(op)).rejects.toThrow('a bug mid-apply');
  vi.restoreAllMocks();
  expect(state(c)).toEqual(before);
  expect(walks(c)).toEqual(found);
  expect(s.problemsOf('a')).toEqual([]);
  expect(collectionInfo(c, s.problemsOf('a')).status).toBe('green');
  expect(lines.join('\n')).toMatch(/failed while applied and was undone/);
  // The collection takes changes as before, and the graph follows them.
  expect(await s.commit({ t: 'upsert', c: 'a', points: [point(7), point(1, 'y')] })).toBeGreaterThan(4);
  expect(c.count).toBe(4);
  expect(
    walks(c)[0]!
      .map((h) => h[0])
      .sort(),
  ).toEqual([1, 2, 6, 7]);
}

describe('a change that throws part way is undone in memory', () => {
  it('an upsert whose third graph insert throws (an update, a free label, a new label before it)', async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'upsert', c: 'a', points: [point(1, 'y'), point(3), point(4, 'z'), point(8)] };
    await refusedAndUndone(s, c, op, () => failOnCall(LocalGraph.prototype, 'addPoint', 3));
  });

  it('an upsert whose third payload change throws', async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'upsert', c: 'a', points: [point(2, 'y'), point(3), point(4, 'z')] };
    await refusedAndUndone(s, c, op, () => failOnCall(Collection.prototype, 'setPayload', 3));
  });

  it("an upsert whose second point's field index update throws half way", async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'upsert', c: 'a', points: [point(3, 'q'), point(4, 'z')] };
    // Calls: point 3's old payload (none) out, its new one in, point 4's old out, its new in.
    await refusedAndUndone(s, c, op, () => failOnCall(FieldIndexes.prototype, 'update', 4));
  });

  it('a delete whose second graph removal throws', async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'delete', c: 'a', ids: [1, 2, 6] };
    await refusedAndUndone(s, c, op, () => failOnCall(LocalGraph.prototype, 'markDelete', 2));
  });

  it('a payload change whose second point throws', async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'payload', c: 'a', ids: [1, 2, 6], mode: 'set', payload: { tag: 'w' } };
    await refusedAndUndone(s, c, op, () => failOnCall(Collection.prototype, 'setPayload', 2));
  });

  it('a field index whose build throws half way', async () => {
    const { s, c } = await opened();
    const op: Op = { t: 'index', c: 'a', field: 'n', schema: 'integer' };
    await refusedAndUndone(s, c, op, () => failOnCall(FieldIndexes.prototype, 'update', 2));
  });

  it('a large upsert (applied in slices) whose 250th point throws: none of it stays; a restart agrees', async () => {
    const { dir, s, c } = await opened();
    const points = Array.from({ length: 300 }, (_, i) => point(100 + i));
    points[10] = point(1, 'y');
    await refusedAndUndone(s, c, { t: 'upsert', c: 'a', points }, () =>
      failOnCall(Collection.prototype, 'setPayload', 250),
    );
    await s.checkpoint();
    const again = await Store.open(dir, log);
    expect(state(again.get('a')!)).toEqual(state(c));
  });
});
