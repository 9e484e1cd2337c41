/**
 * Id order (Qdrant's, for scroll and a query without a vector) is one sort of every live label
 * (~0.8 s at 1M points, in one turn of the event loop), redone after every change to the set of
 * ids. Count, search and writes by filter need no order, yet every scan went through it: a client
 * alternating one-point inserts and filtered counts made the service sort its whole collection each
 * time. In process on 500k points (the graph stubbed): a count's scan after an insert, and an exact
 * search, leave the id order unbuilt; scroll still gets it.
 */
import { expect, it } from 'vitest';
import { Collection, type Hit } from '../../modules/vectors/server/collection.js';
import { parseFilter } from '../../modules/vectors/server/filter.js';

const N = 500_000;

it('a filtered count or an exact search after an insert does not sort the collection', () => {
  const c = new Collection(
    'x',
    { size: 2, distance: 'Dot', m: 4, efConstruct: 4, fullScanThreshold: 1e9 },
    N,
  );
  const stub = { addPoint() {}, markDelete() {}, resizeIndex() {}, dispose() {}, getMaxElements: () => N };
  (c as unknown as { index: unknown }).index = stub;
  for (let i = 0; i < N; i++) c.upsert({ id: (i * 7919) % N, vector: [1, i / N], payload: { n: i } }, 1);
  const sorted = () => (c as unknown as { sorted?: number[] }).sorted !== undefined;
  const few = parseFilter({ must: [{ key: 'n', range: { lt: 10 } }] });
  c.orderedLabels(); // built once
  c.upsert({ id: N, vector: [1, 1], payload: { n: 1 } }, 2);
  const counted = (c.matching(few, undefined, false) as number[]).length;
  const best = c.search([1, 1], 1, { exact: true }) as Hit[];
  expect(counted).toBe(11);
  expect(c.ids[best[0]!.label]).toBe(N);
  // The behaviour, not a time (no timed tests: the sort is what cost ~0.8 s at 1M points).
  expect(sorted()).toBe(false);
  // Scroll's order is still id order.
  const ordered = (c.matching(few) as number[]).map((l) => c.ids[l]);
  expect(ordered).toEqual([...ordered].sort((a, b) => (a as number) - (b as number)));
  expect(sorted()).toBe(true);
}, 120_000);
