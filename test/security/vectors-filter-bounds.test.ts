/**
 * Qdrant filters as the vectors module parses them (modules/vectors/server/filter.ts), against
 * filters built to cost: the depth bound (32) was never applied below the top (a condition that is
 * itself a filter started again at depth 0), so 10,000 levels overflowed the stack (a 500) and any
 * depth under that was taken; and the 10,000-condition bound was per list, so 50 lists of 10,000
 * (17 MB of body) made one filter of 500,000 conditions, evaluated for every point on the main
 * thread at ~300 ms a point (measured): 5,000 points took 25 minutes, /health unanswered
 * meanwhile. Now 1,000 conditions in all (~0.6 ms a point at worst).
 */
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { parseFilter } from '../../modules/vectors/server/filter.js';

const leaf = { key: 'n', match: { value: 1 } };
/** `{"must":[{"must":[ … leaf … ]}]}`, `levels` filters deep. */
function deep(levels: number): unknown {
  let f: unknown = { must: [leaf] };
  for (let i = 1; i < levels; i++) f = { must: [f] };
  return f;
}
const refused = (f: unknown) => {
  try {
    parseFilter(f);
  } catch (err) {
    return err instanceof HttpError ? `${err.status} ${err.message}` : `not an HttpError: ${err}`;
  }
  return 'taken';
};

describe('a filter is bounded in depth and in conditions, all of it together', () => {
  it('33 filters deep is taken, 34 refused, 10,000 refused (not a stack overflow)', () => {
    expect(refused(deep(33))).toBe('taken');
    expect(refused(deep(34))).toMatch(/^400 .*nested too deeply/);
    expect(refused(deep(10_000))).toMatch(/^400 .*nested too deeply/);
  });

  it('50 lists of 10,000 conditions under one should (each list within the old bound): refused', () => {
    const f = { should: Array.from({ length: 50 }, () => ({ should: Array(10_000).fill(leaf) })) };
    expect(refused(f)).toMatch(/^400 .*too many conditions/);
  });

  it('1,001 conditions in all are refused; 1,000 are taken, and match as before', () => {
    const over = { should: Array.from({ length: 10 }, () => ({ should: Array(100).fill(leaf) })) };
    expect(refused(over)).toMatch(/^400 .*too many conditions/); // 10 + 1,000
    const f = { should: Array.from({ length: 10 }, () => ({ should: Array(99).fill(leaf) })) };
    expect(refused(f)).toBe('taken');
    const pred = parseFilter(f);
    expect(pred(1, { n: 1 })).toBe(true);
    expect(pred(1, { n: 2 })).toBe(false);
  });
});
