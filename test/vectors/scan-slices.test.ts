/**
 * Scans that outlive their slice (deadline.ts) let the event loop turn and carry on later: the
 * collection may change meanwhile, and another search may prepare its query in the scratch array
 * the paused one was using. In process, each search given a deadline whose first slice is already
 * spent, so that it pauses after its first 1,024 points (the graph stubbed, as the calling thread's
 * kind, so that the scratch query is used: only exact search and scans here).
 */
import { expect, it } from 'vitest';
import { Collection, type Hit } from '../../modules/vectors/server/collection.js';
import { Deadline, SLICE_MS } from '../../modules/vectors/server/deadline.js';
import { parseFilter } from '../../modules/vectors/server/filter.js';
import { LocalGraph } from '../../modules/vectors/server/graph.js';

const N = 20_000;
const D = 64;

function big(): Collection {
  const c = new Collection(
    'x',
    { size: D, distance: 'Dot', m: 4, efConstruct: 4, fullScanThreshold: 1e9 },
    N,
  );
  const stub = { addPoint() {}, markDelete() {}, resizeIndex() {}, dispose() {}, getMaxElements: () => N };
  (c as unknown as { index: unknown }).index = Object.assign(Object.create(LocalGraph.prototype), stub);
  let seed = 1;
  const r = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
  for (let i = 0; i < N; i++)
    c.upsert({ id: i, vector: Array.from({ length: D }, r), payload: { n: i, even: i % 2 === 0 } }, 1);
  return c;
}
const c = big();
const q1 = Array.from({ length: D }, (_, i) => Math.sin(i));
const q2 = Array.from({ length: D }, (_, i) => Math.cos(i * 3));
const ids = (hits: Hit[]) => hits.map((h) => c.ids[h.label]);
/** A deadline far off whose first slice is spent: the scan pauses after its first run. */
function dl(): Deadline {
  const d = new Deadline(60, 'search');
  const until = performance.now() + SLICE_MS + 2;
  while (performance.now() < until);
  return d;
}

it('two exact searches that pause at once answer as each would alone (the query is copied)', async () => {
  const alone1 = c.search(q1, 5, { exact: true }) as Hit[];
  const alone2 = c.search(q2, 5, { exact: true }) as Hit[];
  const a = c.search(q1, 5, { exact: true, deadline: dl() });
  const b = c.search(q2, 5, { exact: true, deadline: dl() });
  expect(a).toBeInstanceOf(Promise); // it did pause
  expect(await a).toEqual(alone1);
  expect(await b).toEqual(alone2);
});

it('a point deleted during a paused search is not in its answer; one changed is scored as it is now', async () => {
  // Near points 3 and 5 (read in the first run, before the pause): the best two.
  const v = (id: number) => c.vectorOf(c.labelOf(id)!);
  const q = Array.from({ length: D }, (_, i) => v(3)[i]! + v(5)[i]!);
  const alone = ids(c.search(q, 5, { exact: true }) as Hit[]);
  expect(alone.slice(0, 2).sort()).toEqual([3, 5]);
  const paused = c.search(q, 5, { exact: true, deadline: dl() });
  expect(paused).toBeInstanceOf(Promise);
  c.delete(3);
  c.upsert({ id: 5, vector: Array(D).fill(0), payload: {} }, 2); // scores 0 now
  const hits = await paused;
  expect(ids(hits)).toEqual([...alone.slice(2), 5]);
  expect(hits.at(-1)!.score).toBe(0);
});

it('a filter scan that pauses: what no longer passes is left out', async () => {
  const even = parseFilter({ must: [{ key: 'even', match: { value: true } }] });
  const all = (c.matching(even) as number[]).map((l) => c.ids[l]);
  const paused = c.matching(even, dl());
  expect(paused).toBeInstanceOf(Promise);
  c.upsert({ id: 10, vector: Array(D).fill(1), payload: { even: false } }, 3);
  c.delete(12);
  const got = (await paused).map((l) => c.ids[l]);
  expect(got).toEqual(all.filter((id) => id !== 10 && id !== 12));
});
