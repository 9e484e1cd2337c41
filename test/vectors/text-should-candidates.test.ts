/**
 * A filter whose only text conditions are in `should` (report-VTEXT's left item): the postings
 * gave each value's answer, but the candidates came from `must` alone, so such a filter tested
 * every point of the collection (2,000 predicate calls for 2 matches). Now a `should` whose every
 * condition has a hint on an indexed field (a text condition: its postings; a keyword match: its
 * values) bounds the candidates by the union of theirs; one condition without (has_id, a nested
 * must_not) leaves it unbounded, as a `must_not` alone is (its complement is most points), and so
 * does a union over a quarter of the points. The answers are the scan's in every case.
 */
import { describe, expect, it } from 'vitest';
import { type Filter, parseFilter } from '../../modules/vectors/server/filter.js';
import { Store } from '../../modules/vectors/server/store.js';
import { filterContext } from '../../modules/vectors/server/text-index.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const config = { size: 4, distance: 'Cosine' as const, m: 16, efConstruct: 64, fullScanThreshold: 20 };

describe('text payload index: a should of text conditions', () => {
  it('takes its candidates from the postings: the points tested are the matches, not the collection', async () => {
    const s = await Store.open(tempDir('vec-textshould-'), quiet);
    await s.commit({ t: 'create', name: 'c', config });
    const points = Array.from({ length: 2000 }, (_, i) => ({
      id: i,
      vector: [1, i % 7, i % 3, 1],
      payload: { body: `document number w${i} about ${i % 2 ? 'cats' : 'dogs'}`, tag: `t${i % 100}` },
    }));
    await s.commit({ t: 'upsert', c: 'c', points });
    await s.commit({ t: 'index', c: 'c', field: 'body', schema: { type: 'text' } });
    await s.commit({ t: 'index', c: 'c', field: 'tag', schema: 'keyword' });
    const c = s.get('c')!;
    const text = (q: string) => ({ key: 'body', match: { text: q } });
    // [filter, answer, points tested at most (undefined: every point)]
    const cases: [unknown, number[], number | undefined][] = [
      [{ should: [text('w1234'), { key: 'body', match: { text_any: 'w17 nothing' } }] }, [17, 1234], 2],
      [{ should: [text('w1234 dogs'), text('w1235 dogs')] }, [1234], 1],
      [{ must: [{ should: [text('w5'), text('w6')] }] }, [5, 6], 2],
      [{ should: [text('w5'), { key: 'tag', match: { value: 't7' } }] }, [5, ...range(7)], 21],
      [{ should: [text('w5'), text('w6')], must_not: [text('w6')] }, [5], 2],
      [{ should: [{ must: [text('cats'), text('w9')] }, text('w8')] }, [8, 9], 2],
      // Not bounded: a union over a quarter of the points (cheaper to test them all), a condition
      // any point may meet, or a must_not alone.
      [{ should: [text('cats'), text('w4')] }, [4, ...odd()], undefined],
      [{ should: [text('w5'), { has_id: [6] }] }, [5, 6], undefined],
      [{ should: [text('w5'), { must_not: [text('dogs')] }] }, [5, ...odd()], undefined],
      [{ must_not: [text('dogs')] }, odd(), undefined],
    ];
    for (const [f, want, most] of cases) {
      const ctx = filterContext(c);
      const parsed = parseFilter(f, 0, undefined, ctx);
      let tested = 0;
      const counted: Filter = Object.assign((id: Parameters<Filter>[0], p: Parameters<Filter>[1]) => {
        tested++;
        return parsed(id, p);
      }, parsed);
      const got = ((await c.matching(counted)) as number[]).map((l) => c.ids[l]);
      const scan = parseFilter(f, 0, undefined, ctx);
      const byScan = (c.orderedLabels() as number[])
        .filter((l) => scan(c.ids[l]!, c.payloads[l]))
        .map((l) => c.ids[l]);
      expect(new Set(got), JSON.stringify(f)).toEqual(new Set(byScan));
      expect(new Set(got), JSON.stringify(f)).toEqual(new Set(want));
      if (most === undefined) expect(tested, JSON.stringify(f)).toBe(2000);
      else expect(tested, JSON.stringify(f)).toBeLessThanOrEqual(most);
    }
    await s.close();
  }, 60_000);
});

/** The ids whose tag is t`n`. */
function range(n: number): number[] {
  return Array.from({ length: 20 }, (_, i) => n + 100 * i);
}
/** The odd ids (cats). */
function odd(): number[] {
  return Array.from({ length: 1000 }, (_, i) => 2 * i + 1);
}
