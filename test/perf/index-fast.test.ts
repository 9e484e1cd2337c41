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

const entry = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `pkg-${i}`,
  version: `1.${i % 5}.0`,
  arch: 'all',
  summary: `package ${i}`,
  depends: i % 2 ? [`pkg-${i - 1}>=1.0.0`, `pkg-${i - 1}>=1.0.0,<2.0.0`] : [],
  size: 1000 + i,
  sha256: 'a'.repeat(64),
  path: `pool/pkg-${i}/pkg-${i}_1.0.0_all.bpkg`,
  ...extra,
});
const index = (packages: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 1,
  repository: 'test',
  version: 3,
  generated: '2026-11-29T12:00:00Z',
  expires: '2026-12-29T12:00:00.123Z',
  packages,
  ...extra,
});

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

  const broken: Array<[string, Record<string, unknown>]> = [
    ['upper-case name', { name: 'Pkg' }],
    ['name too long', { name: `a${'b'.repeat(63)}` }],
    ['version not semver', { version: '1.0' }],
    ['version with v', { version: 'v1.0.0' }],
    ['version with spaces', { version: ' 1.0.0' }],
    ['arch', { arch: 'arm' }],
    ['summary too long', { summary: 'x'.repeat(201) }],
    ['summary with escape', { summary: 'a\x1b[2Jb' }],
    ['summary with bidi override', { summary: 'a\u202eb' }],
    ['summary not a string', { summary: 5 }],
    ['depends not an array', { depends: 'x' }],
    ['depends with a number', { depends: [1] }],
    ['dependency syntax', { depends: ['x >= 1'] }],
    ['dependency unsatisfiable', { depends: ['x>=2.0.0,<1.0.0'] }],
    ['dependency bad version', { depends: ['x>=1.0.0-'] }],
    ['size negative', { size: -1 }],
    ['size fraction', { size: 1.5 }],
    ['size huge', { size: 2 ** 60 }],
    ['size a string', { size: '5' }],
    ['sha256 upper-case', { sha256: 'A'.repeat(64) }],
    ['sha256 short', { sha256: 'a'.repeat(63) }],
    ['path ..', { path: 'pool/../x' }],
    ['path %2e', { path: 'pool/%2e%2e/x' }],
    ['path absolute', { path: '/pool/x' }],
    ['path empty', { path: '' }],
    ['path with ?', { path: 'pool/x?y' }],
    ['path too long', { path: 'p/'.repeat(600) }],
    ['path .', { path: 'pool/./x' }],
    ['path ending in /', { path: 'pool/x/' }],
    ['path //', { path: 'pool//x' }],
    ['path with backslash', { path: 'pool\\x' }],
    ['unknown key', { extra: 1 }],
    ['null depends', { depends: null }],
  ];
  it.each(broken)('leaves to zod: %s', (_, change) => {
    expect(agree(index([entry(1), entry(2, change)]))).toBe(false);
  });

  it.each([
    ['format 2', { format: 2 }],
    ['empty repository', { repository: '' }],
    ['repository with control', { repository: 'a\nb' }],
    ['version fraction', { version: 1.5 }],
    ['date not ISO', { generated: 'Nov 29 2026' }],
    ['date impossible', { expires: '2026-13-45' }],
    ['packages not an array', { packages: {} }],
    ['unknown key', { signed: true }],
  ])('leaves to zod: header %s', (_, change) => {
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
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '1.0.0',
        '0.0.1-rc.1+b',
        'x>=1.0.0',
        'a-b <= 2.0.0 , > 1.0.0',
        'all',
        'x86_64',
        '2026-01-01',
      ),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.array(fc.constantFrom('a>=1.0.0', 'b', 'c<1.0.0', 'd>=1.0.0,<1.0.0', 'e=1.2.3'), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(entry(0)), 'other'), value, fc.boolean(), (key, v, drop) => {
        const e: Record<string, unknown> = entry(1);
        if (drop) delete e[key];
        else e[key] = v;
        agree(index([entry(0), e]));
      }),
      { numRuns: 3000 },
    );
  });
});
