/**
 * In-process checks of the parts with many edge cases: filters, point ids, the log's framing, search
 * answers written as JSON text.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Collection, type Hit } from '../../modules/vectors/server/collection.js';
import { parseFilter, valuesAt } from '../../modules/vectors/server/filter.js';
import { compareIds, parsePointId } from '../../modules/vectors/server/ids.js';
import { parseBodyJob } from '../../modules/vectors/server/offload.js';
import { parseWithPayload } from '../../modules/vectors/server/parse.js';
import { scoredPoints } from '../../modules/vectors/server/search.js';
import { filterContext } from '../../modules/vectors/server/text-index.js';
import { readWal, walRecord, walUpsertRecord } from '../../modules/vectors/server/wal.js';
import { tempDir } from '../setup/temp-registry.js';

const p = {
  city: { name: 'Berlin', tags: ['a', 'b'] },
  list: [{ n: 1 }, { n: 5 }],
  price: 10,
  none: null,
  empty: [],
  when: '2024-05-01T10:00:00Z',
};

describe('filters', () => {
  it('reads paths as Qdrant does: dots, [] and arrays that match when any element does', () => {
    expect(valuesAt(p, 'city.name')).toEqual(['Berlin']);
    expect(valuesAt(p, 'city.tags')).toEqual(['a', 'b']);
    expect(valuesAt(p, 'list[].n')).toEqual([1, 5]);
    expect(valuesAt(p, 'list.n')).toEqual([1, 5]);
    expect(valuesAt(p, 'missing.x')).toEqual([]);
  });

  it('match, range, is_empty, is_null, has_id, must/should/must_not', () => {
    const t = (f: unknown, id: number | string = 1) => parseFilter(f)(id, p);
    expect(t({ must: [{ key: 'city.tags', match: { value: 'b' } }] })).toBe(true);
    expect(t({ must: [{ key: 'city.tags', match: { any: ['x', 'a'] } }] })).toBe(true);
    // Qdrant's except: some value not in the list (qdrant-semantics.test.ts has the rest).
    expect(t({ must: [{ key: 'city.tags', match: { except: ['a'] } }] })).toBe(true);
    expect(t({ must: [{ key: 'city.tags', match: { except: ['a', 'b'] } }] })).toBe(false);
    expect(t({ must: [{ key: 'city.name', match: { text: 'erl' } }] })).toBe(true);
    expect(t({ must: [{ key: 'list[].n', range: { gt: 4, lte: 5 } }] })).toBe(true);
    expect(t({ must: [{ key: 'price', range: { lt: 10 } }] })).toBe(false);
    expect(t({ must: [{ key: 'when', range: { gte: '2024-01-01T00:00:00Z' } }] })).toBe(true);
    expect(
      t({
        must: [
          { is_empty: { key: 'empty' } },
          { is_empty: { key: 'missing' } },
          { is_null: { key: 'none' } },
        ],
      }),
    ).toBe(true);
    expect(t({ must: [{ is_empty: { key: 'price' } }] })).toBe(false);
    expect(t({ should: [{ has_id: [2] }, { key: 'price', match: { value: 10 } }] })).toBe(true);
    expect(t({ should: [{ has_id: [2] }] })).toBe(false);
    expect(t({ must_not: [{ must: [{ key: 'price', match: { value: 10 } }] }] })).toBe(false);
    expect(t({ must: { key: 'price', match: { value: 10 } } })).toBe(true); // one condition, not a list
    expect(
      t(
        { must: [{ has_id: ['00000000-0000-4000-8000-000000000001'] }] },
        '00000000-0000-4000-8000-000000000001',
      ),
    ).toBe(true);
  });

  it('refuses what it does not know, with the reason', () => {
    expect(() => parseFilter({ must: [{ key: 'a', geo_radius: {} }] })).toThrow(
      /"geo_radius" is not supported/,
    );
    expect(() => parseFilter({ min_should: { conditions: [], min_count: 1 } })).toThrow(
      /"min_should" is not supported/,
    );
    expect(() => parseFilter({ must: [{ key: 'a', match: { value: {} } }] })).toThrow(/match.value/);
    expect(() => parseFilter({ must: [{ key: 'a', range: { gt: 'soon' } }] })).toThrow(/range.gt/);
    expect(() => parseFilter('x')).toThrow(/filter must be an object/);
  });
});

describe('point ids', () => {
  it('integers and UUIDs in canonical form; anything else refused', () => {
    expect(parsePointId(7)).toBe(7);
    expect(parsePointId('5C56C79369F34FBF87E6C4BF54C28C26')).toBe('5c56c793-69f3-4fbf-87e6-c4bf54c28c26');
    expect(() => parsePointId(1.5)).toThrow(/unsigned integer/);
    expect(() => parsePointId(2 ** 53)).toThrow(/unsigned integer/);
    expect(() => parsePointId('12')).toThrow(/Unable to parse UUID/);
    expect(() => parsePointId(null)).toThrow(/unsigned integer or a UUID/);
    expect([uuidOf(1), 3, 1].sort(compareIds)).toEqual([1, 3, uuidOf(1)]);
  });
});
const uuidOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('write-ahead log framing', () => {
  it('stops at a short or corrupt record and reports the valid length', () => {
    const dir = tempDir('vec-wal-');
    const f = join(dir, 'w.log');
    const a = walRecord({ seq: 1 });
    const b = walRecord({ seq: 2, big: 'x'.repeat(100) });
    writeFileSync(f, Buffer.concat([a, b]));
    expect(readWal(f)).toEqual({
      ops: [{ seq: 1 }, { seq: 2, big: 'x'.repeat(100) }],
      bodies: [a.subarray(8), b.subarray(8)],
      validBytes: a.length + b.length,
      torn: false,
    });
    appendFileSync(f, walRecord({ seq: 3 }).subarray(0, 9)); // cut mid-record
    expect(readWal(f)).toMatchObject({
      ops: [{ seq: 1 }, { seq: 2 }],
      validBytes: a.length + b.length,
      torn: true,
    });
    const flipped = Buffer.concat([a, b]);
    flipped[a.length + 12]! ^= 1; // a bit flip inside the second record's body
    writeFileSync(f, flipped);
    expect(readWal(f)).toMatchObject({ ops: [{ seq: 1 }], validBytes: a.length, torn: true });
  });
});

describe('an upsert parsed by the body worker', () => {
  it('gives the points and a log record that reads back as the same operation as walRecord', () => {
    const body = {
      points: [
        { id: 3, vector: [0.1, -2, 3e-7], payload: { a: 'é', n: [1, 2] } },
        { id: uuidOf(4), vector: [1, 2, 3] },
      ],
    };
    const r = parseBodyJob({ kind: 'upsert', raw: Buffer.from(JSON.stringify(body)), size: 3 });
    if (!('ids' in r)) throw new Error('not an upsert result');
    expect(r.ids).toEqual([3, uuidOf(4)]);
    expect(r.payloads).toEqual([{ a: 'é', n: [1, 2] }, undefined]);
    expect(Array.from(r.vectors)).toEqual(Array.from(Float32Array.from([0.1, -2, 3e-7, 1, 2, 3])));
    const dir = tempDir('vec-wal-');
    const f = join(dir, 'w.log');
    const op = { t: 'upsert', c: 'dóc"s', points: body.points };
    writeFileSync(f, Buffer.concat([...walUpsertRecord('dóc"s', 7, r), walRecord({ ...op, seq: 8 })]));
    const { ops, torn } = readWal(f);
    expect(torn).toBe(false);
    expect(ops).toEqual([
      { ...op, seq: 7 },
      { ...op, seq: 8 },
    ]);
    expect(() =>
      parseBodyJob({ kind: 'upsert', raw: Buffer.from('{"points":[{"id":1,"vector":[1]}]}'), size: 3 }),
    ).toThrow(/expected dim: 3, got 1/);
    expect(() => parseBodyJob({ kind: 'json', raw: Buffer.from('{"a":') })).toThrow(/not valid JSON/);
  });
});

describe('search answers written as JSON text', () => {
  it('are, byte for byte, JSON.stringify of the ScoredPoint objects; the query is normalised as prepare() does', () => {
    const c = new Collection('t', {
      size: 3,
      distance: 'Cosine',
      m: 16,
      efConstruct: 100,
      fullScanThreshold: 10_000,
    });
    const payloads = [
      {
        text: 'é "quoted" \\ back\nline \u2028 \ud83d\ude00',
        n: [1, -0, 1e21, 5e-7],
        deep: { a: [null, true] },
      },
      undefined,
      { '': 'empty key', 'ke"y': 'x' },
    ];
    const ids = [7, uuidOf(42), 2 ** 53 - 1];
    for (const [i, id] of ids.entries())
      c.upsert({ id, vector: [i + 1, -(i + 0.3), 1 / 3], payload: payloads[i] }, 10 + i);
    const query = [0.3, -1, 2];
    // The stored form of a vector and the query as prepare() makes them (float32, normalised).
    expect(c.prepareQuery(query)).toEqual(c.prepare(query));
    // In process (no graph worker started): an exact search answers at once.
    const hits = c.search(query, 3, {}) as Hit[];
    expect(hits.map((h) => h.score)).toEqual(hits.map((h) => c.score(c.prepare(query), h.label)));
    for (const [withPayload, withVector] of [
      [true, true],
      [false, false],
      [['n', 'missing'], false],
      [{ exclude: ['text'] }, true],
    ] as const) {
      const wp = parseWithPayload(withPayload, false);
      const objects = hits.map(({ label, score }) => ({
        id: c.ids[label],
        version: c.versions[label],
        score,
        payload: wp(c.payloads[label]),
        vector: withVector ? Array.from(c.vectorOf(label)) : null,
        shard_key: null,
        order_value: null,
      }));
      expect(scoredPoints(c, hits, wp, withVector)).toBe(JSON.stringify(objects));
    }
    expect(scoredPoints(c, [], parseWithPayload(true, false), true)).toBe('[]');
    // Exact here (3 points): no graph search, no time counted in the graph.
    expect(c.stats).toMatchObject({ exactSearches: 1, hnswSearches: 0, hnswMs: 0 });
    const g = new Collection('g', {
      size: 3,
      distance: 'Dot',
      m: 16,
      efConstruct: 100,
      fullScanThreshold: 0,
    });
    for (let i = 0; i < 200; i++) g.upsert({ id: i, vector: [Math.sin(i), Math.cos(i), i / 200] }, 1);
    for (let i = 0; i < 20; i++) g.search([1, i, 0.5], 10, { ef: 64 });
    expect(g.stats.hnswSearches).toBe(20);
    expect(g.stats.hnswMs).toBeGreaterThan(0);
  });
});

describe('a text index made before its parameters were checked', () => {
  it('a match.text on its key says how to make it again, not only what is not served', () => {
    // Accepted before 88d00ad4 (parameters were taken and not applied), refused when made since.
    const c = { name: 'docs', payloadSchema: { body: { type: 'text', tokenizer: 'multilingual' } } };
    const f = { must: [{ key: 'body', match: { text: 'hello' } }] };
    expect(() => parseFilter(f, 0, undefined, filterContext(c))).toThrow(
      `Wrong input: the text index of "body" was made before its parameters were checked: text index tokenizer "multilingual" is not supported (word, whitespace or prefix; Qdrant's multilingual is charabia's segmentation and normalizers, with vaporetto for Japanese, which no library here reproduces); drop it (DELETE /collections/docs/index/body) and make it again with parameters this server serves (without one, match.text is a substring)`,
    );
  });
});
