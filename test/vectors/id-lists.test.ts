/**
 * A text index's postings lists (modules/vectors/server/id-lists.ts): one id, an array, or chunks of
 * arrays past 1,024 ids. Random puts and takes of ids, reused as text-postings.ts reuses them, must
 * leave the ids a Set holds, in increasing order, through every change of form.
 */
import { describe, expect, it } from 'vitest';
import {
  hasId,
  IdChunks,
  type IdList,
  idsOf,
  sizeOf,
  withId,
  withoutId,
} from '../../modules/vectors/server/id-lists.js';

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('postings id lists', () => {
  it('hold the ids a Set holds, increasing, as they grow to chunks and shrink back', () => {
    for (const [seed, span] of [
      [1, 3000],
      [2, 20_000],
      [3, 600],
    ] as const) {
      const r = rng(seed);
      const want = new Set<number>();
      let list: IdList | undefined;
      let chunked = false;
      // Grows past the chunks' size, then takes most out again, then grows.
      for (const [steps, addShare] of [
        [6000, 0.8],
        [6000, 0.2],
        [3000, 0.7],
      ] as const)
        for (let step = 0; step < steps; step++) {
          const adds = r() < addShare;
          // A take is of an id the list holds (a random one), so that it shrinks back.
          const id =
            adds || want.size === 0 ? Math.floor(r() * span) : [...want][Math.floor(r() * want.size)]!;
          if (adds) {
            if (want.has(id)) continue; // a value's id is put in a token's list once
            want.add(id);
            list = list === undefined ? id : withId(list, id);
          } else if (list !== undefined && want.has(id)) {
            want.delete(id);
            list = withoutId(list, id);
          }
          chunked ||= list instanceof IdChunks;
          if (step % 97 === 0 || want.size < 3) {
            const sorted = [...want].sort((a, b) => a - b);
            expect(list === undefined ? [] : idsOf(list)).toEqual(sorted);
            expect(list === undefined ? 0 : sizeOf(list)).toBe(want.size);
            const probe = Math.floor(r() * span);
            expect(list !== undefined && hasId(list, probe)).toBe(want.has(probe));
          }
        }
      if (span > 1100) expect(chunked).toBe(true);
    }
  });
});
