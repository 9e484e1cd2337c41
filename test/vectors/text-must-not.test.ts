/**
 * A filter of `must_not` text conditions only, on text-indexed keys, is answered from the postings'
 * complement: the live points less those the postings say match, in id order, no payload read and
 * the filter not called for any point. Before, each of the collection's points was read and the
 * filter called on it (2,000 calls here). The answers are the scan's, through random filters and
 * changes; what the postings cannot answer exactly (an unindexed key, a nested filter, another kind
 * of condition beside) is scanned as before.
 */
import { describe, expect, it } from 'vitest';
import type { Collection } from '../../modules/vectors/server/collection.js';
import { Deadline } from '../../modules/vectors/server/deadline.js';
import { type Filter, parseFilter } from '../../modules/vectors/server/filter.js';
import { Store } from '../../modules/vectors/server/store.js';
import { filterContext } from '../../modules/vectors/server/text-index.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const config = { size: 4, distance: 'Dot' as const, m: 16, efConstruct: 100, fullScanThreshold: 10_000 };

/** The filter with a count of the points it was called on (its hints and texts kept). */
function counted(c: Collection, f: unknown): { filter: Filter; calls: () => number } {
  const inner = parseFilter(f, 0, undefined, filterContext(c));
  let n = 0;
  const filter = Object.assign((id: Parameters<Filter>[0], p: Parameters<Filter>[1]) => {
    n++;
    return inner(id, p);
  }, inner) as Filter;
  return { filter, calls: () => n };
}

function scan(c: Collection, f: unknown): unknown[] {
  const pred = parseFilter(f, 0, undefined, filterContext(c));
  return (c.orderedLabels() as number[]).filter((l) => pred(c.ids[l]!, c.payloads[l])).map((l) => c.ids[l]);
}

async function collection() {
  const s = await Store.open(tempDir('vec-mustnot-'), quiet);
  await s.commit({ t: 'create', name: 'c', config });
  const points = Array.from({ length: 2000 }, (_, i) => ({
    id: i,
    vector: [1, i % 7, i % 3, 1],
    payload:
      i % 97 === 0
        ? { other: 1 } // no body: meets every must_not
        : {
            body:
              i % 50 === 0 ? [`w${i} cats`, 'tags dogs'] : `document w${i} about ${i % 2 ? 'cats' : 'dogs'}`,
            n: i % 40,
          },
  }));
  await s.commit({ t: 'upsert', c: 'c', points });
  await s.commit({ t: 'index', c: 'c', field: 'body', schema: { type: 'text', phrase_matching: true } });
  return s;
}

describe('must_not text conditions alone: the postings complement', () => {
  it('reads no point, and answers as the scan does', async () => {
    const s = await collection();
    const c = s.get('c')!;
    for (const f of [
      { must_not: [{ key: 'body', match: { text: 'w7' } }] },
      { must_not: [{ key: 'body', match: { text: 'w50' } }] }, // an array value: any element
      { must_not: [{ key: 'body', match: { text_any: 'w3 w5 w1999 nothing' } }] },
      { must_not: [{ key: 'body', match: { phrase: 'w9 about' } }] },
      { must_not: [{ key: 'body', match: { phrase: 'about w9' } }] },
      { must_not: [{ key: 'body', match: { text: 'nothing' } }] },
      { must_not: [{ key: 'body', match: { text: '' } }] },
      {
        must_not: [
          { key: 'body', match: { text: 'w10' } },
          { key: 'body', match: { text: 'w11 document' } },
        ],
      },
      { must: [], must_not: [{ key: 'body', match: { text: 'w12' } }] },
    ]) {
      const { filter, calls } = counted(c, f);
      const before = c.stats.indexedFilters;
      const got = (c.matching(filter) as number[]).map((l) => c.ids[l]);
      expect(got, JSON.stringify(f)).toEqual(scan(c, f));
      expect(calls(), JSON.stringify(f)).toBe(0);
      expect(c.stats.indexedFilters).toBe(before + 1);
      // Unordered (count, search): the same points.
      const some = (c.matching(counted(c, f).filter, undefined, false) as number[]).map((l) => c.ids[l]);
      expect([...some].sort((a, b) => Number(a) - Number(b))).toEqual(got);
    }
    await s.close();
  });

  it('what the postings cannot answer exactly is scanned as before, with the same answers', async () => {
    const s = await collection();
    const c = s.get('c')!;
    for (const f of [
      // Over a quarter of the values: gathering them cost more than the scan (README).
      { must_not: [{ key: 'body', match: { text: 'dogs' } }] },
      { must_not: [{ key: 'body', match: { phrase: 'about cats' } }] },
      {
        must_not: [
          { key: 'body', match: { text: 'w10' } },
          { key: 'body', match: { text: 'cats' } },
        ],
      },
      { must_not: [{ key: 'n', match: { value: 3 } }] }, // no index on n
      {
        must_not: [
          { key: 'body', match: { text: 'dogs' } },
          { key: 'n', range: { lt: 5 } },
        ],
      },
      {
        must_not: [
          { must: [{ key: 'body', match: { text: 'dogs' } }], must_not: [{ key: 'n', range: { lt: 5 } }] },
        ],
      },
      { must_not: [{ key: 'body', match: { text: 'dogs' }, range: { lt: 5 } }] },
      { should: [], must_not: [{ key: 'body', match: { text: 'dogs' } }] },
      { must_not: [{ key: 'body', match: { text: 'dogs' } }], should: [{ key: 'n', range: { lt: 5 } }] },
    ]) {
      const { filter } = counted(c, f);
      expect(
        (c.matching(filter) as number[]).map((l) => c.ids[l]),
        JSON.stringify(f),
      ).toEqual(scan(c, f));
    }
    await s.close();
  });

  it('equal to the scan through changes, and with a deadline that pauses', async () => {
    const s = await collection();
    const c = s.get('c')!;
    let seed = 7;
    const r = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 30; round++) {
      const id = Math.floor(r() * 2100);
      const words = Array.from({ length: 1 + Math.floor(r() * 3) }, () => `w${Math.floor(r() * 60)}`);
      const roll = r();
      if (roll < 0.5)
        await s.commit({
          t: 'upsert',
          c: 'c',
          points: [{ id, vector: [1, 0, 0, 1], payload: { body: words.join(' ') } }],
        });
      else if (roll < 0.75) await s.commit({ t: 'delete', c: 'c', ids: [id] });
      else await s.commit({ t: 'payload', c: 'c', ids: [Math.floor(r() * 1900)], mode: 'clear' });
      const f = {
        must_not: [{ key: 'body', match: { [['text', 'text_any', 'phrase'][round % 3]!]: words.join(' ') } }],
      };
      const { filter, calls } = counted(c, f);
      expect(
        (c.matching(filter) as number[]).map((l) => c.ids[l]),
        JSON.stringify(f),
      ).toEqual(scan(c, f));
      expect(calls()).toBe(0);
    }
    // Points changed at each pause of the postings' answer (one that matched made not to, one that
    // did not made to): the points are then scanned as they are, not the stale complement taken.
    // One value on 3,000 points: few values (the complement is taken), labels enough to pause.
    const shared = Array.from({ length: 3000 }, (_, i) => ({
      id: 10_000 + i,
      vector: [1, 0, 0, 1],
      payload: { body: 'shared words' },
    }));
    await s.commit({ t: 'upsert', c: 'c', points: shared });
    const f = { must_not: [{ key: 'body', match: { text: 'shared' } }] };
    let k = 0;
    let pauses = 0;
    const flip = () => {
      if (pauses++ % 2 === 1 || k >= 3) return;
      const n = 10_000 + 2 * k++;
      c.upsert({ id: n, vector: [1, 0, 0, 1], payload: { body: 'birds' } }, 99);
      c.upsert({ id: 20_000 + n, vector: [1, 0, 0, 1], payload: { body: 'shared words' } }, 99);
    };
    const paused = c.matching(counted(c, f).filter, spentDeadline(flip));
    expect(paused).toBeInstanceOf(Promise);
    const got = (await paused).map((l) => c.ids[l]);
    expect(k).toBeGreaterThan(0);
    expect(got).toEqual(scan(c, f));
    await s.close();
  });
});

/** A deadline far off whose slices are always spent (the work pauses at every yield), `atPause` at each pause. */
function spentDeadline(atPause: () => void): Deadline {
  return new (class extends Deadline {
    override spent(): boolean {
      return true;
    }
    override async pause(): Promise<void> {
      atPause();
      await super.pause();
    }
  })(60, 'scroll');
}
