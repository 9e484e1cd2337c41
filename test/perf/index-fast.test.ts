/**
 * index-fast.ts checks an index without zod, and may only ever accept what zod accepts, returning
 * exactly what zod returns (format.ts's parseIndex takes its answer when it has one). Each case is
 * judged both ways: valid indexes, then every kind of field broken one at a time, then random
 * mutations of valid entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexSchema } from '../../src/core/pkg/format.js';
import { fastIndex } from '../../src/core/pkg/index-fast.js';
import { brokenEntries, brokenHeaders, entry, fieldValue, index } from '../helpers/index-cases.js';

/** fast accepts only what zod accepts, with zod's output to the byte; returns whether fast accepted. */
function agree(json: unknown): boolean {
  const fast = fastIndex(json);
  const zod = indexSchema.safeParse(json);
  if (fast) {
    expect(zod.success, JSON.stringify(json).slice(0, 400)).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
    expect(
      Object.is(
        (fast.packages[0] as { size?: number } | undefined)?.size,
        (zod.data?.packages[0] as { size?: number } | undefined)?.size,
      ),
    ).toBe(true);
  }
  return fast !== undefined;
}

describe('index checks without zod', () => {
  it('accepts valid indexes, with zod’s output (depends defaulted, keys in schema order)', () => {
    expect(agree(index([]))).toBe(true);
    expect(agree(index(Array.from({ length: 50 }, (_, i) => entry(i))))).toBe(true);
    const { depends: _, ...noDepends } = entry(1);
    expect(agree(index([noDepends]))).toBe(true);
    const reordered = Object.fromEntries(Object.entries(entry(3)).reverse());
    expect(agree(index([reordered]))).toBe(true);
  });

  it.each(brokenEntries)('leaves to zod: %s', (_, change) => {
    expect(agree(index([entry(1), entry(2, change)]))).toBe(false);
  });

  it.each(brokenHeaders)('leaves to zod: header %s', (_, change) => {
    expect(agree(index([entry(1)], change))).toBe(false);
  });

  it('accepts, as zod does, paths outside what `repo build` writes (dot files, three dots, spaces)', () => {
    for (const path of ['pool/.hidden/x', 'pool/.../x', 'pool/a b/x', 'pool/ünï/x'])
      expect(agree(index([entry(1, { path })])), path).toBe(true);
  });

  it('leaves to zod what is not a plain object, and a __proto__ key', () => {
    expect(agree(null)).toBe(false);
    expect(agree([])).toBe(false);
    expect(
      agree(JSON.parse(JSON.stringify(index([entry(1)])).replace('"name"', '"__proto__":{},"name"'))),
    ).toBe(false);
  });

  it('never accepts what zod refuses, nor answers differently (random mutations)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(entry(0)), 'other'),
        fieldValue,
        fc.boolean(),
        (key, v, drop) => {
          const e: Record<string, unknown> = entry(1);
          if (drop) delete e[key];
          else e[key] = v;
          agree(index([entry(0), e]));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
