/**
 * Index entries and the ways to break them, shared by the tests that hold the index checks made
 * without zod to zod's (test/perf/index-fast) and the one-pass scan to those (test/pkg/index-scan).
 */
import fc from 'fast-check';

export const entry = (i: number, extra: Record<string, unknown> = {}) => ({
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

export const index = (packages: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 1,
  repository: 'test',
  version: 3,
  generated: '2026-11-29T12:00:00Z',
  expires: '2026-12-29T12:00:00.123Z',
  packages,
  ...extra,
});

/** An entry's fields broken one at a time: the index checks refuse each. */
export const brokenEntries: Array<[string, Record<string, unknown>]> = [
  ['upper-case name', { name: 'Pkg' }],
  ['name too long', { name: `a${'b'.repeat(63)}` }],
  ['version not semver', { version: '1.0' }],
  ['version with v', { version: 'v1.0.0' }],
  ['version with spaces', { version: ' 1.0.0' }],
  ['version too long', { version: `1.0.0-${'a'.repeat(260)}` }],
  ['arch', { arch: 'arm' }],
  ['summary too long', { summary: 'x'.repeat(201) }],
  ['summary with escape', { summary: 'a\x1b[2Jb' }],
  ['summary with DEL', { summary: 'a\x7fb' }],
  ['summary with bidi override', { summary: 'a\u202eb' }],
  ['summary not a string', { summary: 5 }],
  ['depends not an array', { depends: 'x' }],
  ['depends with a number', { depends: [1] }],
  ['depends with an empty string', { depends: [''] }],
  ['dependency syntax', { depends: ['x >= 1'] }],
  ['dependency unsatisfiable', { depends: ['x>=2.0.0,<1.0.0'] }],
  ['dependency bad version', { depends: ['x>=1.0.0-'] }],
  ['second dependency bad', { depends: ['x>=1.0.0', 'y>=2.0.0,<1.0.0'] }],
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

/** The header's fields broken one at a time: the index checks refuse each. */
export const brokenHeaders: Array<[string, Record<string, unknown>]> = [
  ['format 2', { format: 2 }],
  ['empty repository', { repository: '' }],
  ['repository too long', { repository: 'r'.repeat(101) }],
  ['repository with control', { repository: 'a\nb' }],
  ['version fraction', { version: 1.5 }],
  ['version negative', { version: -1 }],
  ['date not ISO', { generated: 'Nov 29 2026' }],
  ['date impossible', { expires: '2026-13-45' }],
  ['packages not an array', { packages: {} }],
  ['unknown key', { signed: true }],
];

/** Values to put in an entry's field at random. */
export const fieldValue = fc.oneof(
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

/**
 * A fresh index (generated now, expiring in a day) of one package `evil` 1.0.0, as the bytes a
 * repository serves: for the tests of what the index parser refuses in one field (`header`'s and
 * `entry`'s fields replace or add to the defaults).
 */
export const evilIndexBytes = (header: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      format: 1,
      repository: 'test',
      version: 1,
      generated: new Date().toISOString(),
      expires: new Date(Date.now() + 86_400_000).toISOString(),
      packages: [
        {
          name: 'evil',
          version: '1.0.0',
          arch: 'all',
          summary: 'fine',
          depends: [],
          size: 1,
          sha256: 'a'.repeat(64),
          path: 'pool/evil/evil_1.0.0_all.bpkg',
          ...entry,
        },
      ],
      ...header,
    }),
  );
