/**
 * Payload field indexes, in process on the real store (hnswlib graph, write-ahead log): a filter on
 * an indexed field takes its candidates from the index, so a filter that leaves few points is an
 * exact search over those. Results must be the same as without the index, through every kind of
 * change, after a restart from a checkpoint and after a replay of the log alone.
 */
import { describe, expect, it } from 'vitest';
import type { Collection, Hit } from '../../modules/vectors/server/collection.js';
import { parseFilter } from '../../modules/vectors/server/filter.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
}
const r = rng(5);
const vec = () => Array.from({ length: 8 }, r);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const config = { size: 8, distance: 'Cosine' as const, m: 16, efConstruct: 100, fullScanThreshold: 60 };

const filters: unknown[] = [
  { must: [{ key: 'group', match: { value: 'g3' } }] },
  {
    must: [
      { key: 'group', match: { any: ['g1', 'g2'] } },
      { key: 'n', range: { gte: 100 } },
    ],
  },
  { must: [{ key: 'n', range: { gt: 50, lte: 90 } }] },
  { must: [{ key: 'tags', match: { value: 't2' } }], must_not: [{ key: 'group', match: { value: 'g2' } }] },
  { must: [{ must: [{ key: 'group', match: { value: 'g7' } }] }, { key: 'n', match: { value: 7 } }] },
  { must: [{ key: 'group', match: { value: 5 } }] }, // a number against a keyword index: no match
  { must: [{ key: 'group', match: { text: '1' } }] },
  { must: [{ key: 'group', match: { except: ['g1'] } }] }, // not indexable: full scan
  { should: [{ key: 'group', match: { value: 'g4' } }] }, // a should's union bounds the candidates too
  { must: [{ key: 'n', range: { lt: 400 } }] }, // leaves many: HNSW with the filter in the walk
];

/** What a client sees: search hits (id, score) and the matching ids in id order. */
function answers(c: Collection, queries: number[][]) {
  return filters.map((f) => {
    const pred = parseFilter(f);
    return {
      hits: queries.map((q) =>
        // In process (no graph worker started): the graph is searched at once.
        (c.search(q, 10, { filter: pred, ef: 200 }) as Hit[]).map((h) => [c.ids[h.label], h.score]),
      ),
      ids: (c.matching(pred) as number[]).map((l) => c.ids[l]),
    };
  });
}

/** The same changes to "plain" (no index) and "indexed": every kind the API has. */
async function change(s: Store, round: number) {
  const points = Array.from({ length: 40 }, (_, i) => ({
    id: i % 2 ? round * 1000 + i : uuid(round * 1000 + i),
    vector: vec(),
    payload: { group: `g${(i + round) % 9}`, n: i * 10, tags: [`t${i % 4}`] },
  }));
  for (const c of ['plain', 'indexed']) {
    await s.commit({ t: 'upsert', c, points });
    await s.commit({ t: 'delete', c, ids: [1, 3, 5, uuid(10)] });
    await s.commit({ t: 'payload', c, ids: [7, 9], mode: 'set', payload: { group: 'g3' } });
    await s.commit({ t: 'payload', c, ids: [11], mode: 'overwrite', payload: { n: 7, group: 'g7' } });
    await s.commit({ t: 'payload', c, ids: [13], mode: 'clear' });
    await s.commit({ t: 'unset', c, ids: [15, 17], keys: ['group'] });
  }
}

describe('payload field indexes', () => {
  it('give the same answers as a scan, through every change, restarts and replays; and are used', async () => {
    const dir = tempDir('vec-index-');
    let s = await Store.open(dir, quiet);
    const queries = Array.from({ length: 5 }, vec);
    for (const name of ['plain', 'indexed']) await s.commit({ t: 'create', name, config });
    // Points first, then the index (built from what is there); later changes keep it current.
    const points = Array.from({ length: 600 }, (_, i) => ({
      id: i % 3 ? i : uuid(i),
      vector: vec(),
      payload: { group: `g${i % 10}`, n: i, tags: [`t${i % 5}`, `t${(i + 1) % 5}`] },
    }));
    for (const c of ['plain', 'indexed']) await s.commit({ t: 'upsert', c, points });
    expect(answers(s.get('indexed')!, queries)).toEqual(answers(s.get('plain')!, queries));
    for (const [field, schema] of [
      ['group', 'keyword'],
      ['n', 'integer'],
      ['tags', { type: 'keyword' }],
    ] as const)
      await s.commit({ t: 'index', c: 'indexed', field, schema });

    const check = (st: Store, usable: number) => {
      const plain = st.get('plain')!;
      const indexed = st.get('indexed')!;
      const before = { ...indexed.stats };
      const a = answers(indexed, queries);
      expect(a).toEqual(answers(plain, queries));
      // The index was what chose the candidates (`usable` filters can use it), and a filter that
      // leaves few points was searched exactly; the plain collection never touched an index.
      expect(indexed.stats.indexedFilters - before.indexedFilters).toBe(usable * (queries.length + 1));
      expect(indexed.stats.exactSearches).toBeGreaterThan(before.exactSearches);
      expect(plain.stats.indexedFilters).toBe(0);
      return a;
    };
    const first = check(s, 9);
    expect(first[0]!.ids.length).toBe(60);
    expect(first[0]!.hits[0]).toHaveLength(10);
    expect(first[5]!.ids).toEqual([]);

    await change(s, 1);
    check(s, 9);
    await s.close(); // checkpoint: the index is rebuilt from the schema in the collection file
    s = await Store.open(dir, quiet);
    expect(s.get('indexed')!.payloadSchema).toMatchObject({ group: 'keyword', n: 'integer' });
    check(s, 9);
    await change(s, 2);
    await s.commit({ t: 'index', c: 'indexed', field: 'tags', schema: null });
    // Not closed: the next open replays the log after the checkpoint (as after kill -9).
    s = await Store.open(dir, quiet);
    expect(Object.keys(s.get('indexed')!.payloadSchema).sort()).toEqual(['group', 'n']);
    const after = check(s, 8); // not the one on tags any more
    expect(after[3]!.ids.length).toBeGreaterThan(0);
    await s.close();
  }, 60_000);
});
