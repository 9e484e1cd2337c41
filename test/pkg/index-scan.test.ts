/**
 * A first `bpkg update` judges an index as `repo build` writes it in one pass over its text
 * (index-scan.ts) instead of JSON.parse and fastIndex. It may only ever accept what fastIndex
 * accepts as the very bytes (`asParsed`: then what zod accepts too, test/perf/index-fast), and
 * what it keeps must be what the parsed index would have kept, byte for byte: head, search table
 * and cache. Everything else is left to the parse, which gives the verdict and the message.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexSchema } from '../../src/core/pkg/format.js';
import { writeScanned, writeVerified } from '../../src/core/pkg/index-cache.js';
import { parseIndexFast } from '../../src/core/pkg/index-fast.js';
import { scanIndex } from '../../src/core/pkg/index-scan.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../helpers/pkg.js';

const entry = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `pkg-${i}`,
  version: `1.${i % 5}.0`,
  arch: 'all',
  summary: `package ${i} for ${i % 3 ? 'text' : 'vision'}`,
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
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/** scanIndex accepts only what fastIndex accepts as the bytes themselves, saying the same; whether it accepted. */
function agree(bytes: Uint8Array): boolean {
  const scanned = scanIndex(bytes);
  if (!scanned) return false;
  const asParsed = { value: false };
  const fast = parseIndexFast(bytes, asParsed);
  const text = Buffer.from(bytes).toString('utf8');
  expect(fast, text.slice(0, 400)).toBeDefined();
  expect(asParsed.value).toBe(true);
  expect(indexSchema.safeParse(JSON.parse(text)).success).toBe(true);
  expect(scanned).toEqual({
    repository: fast!.repository,
    version: fast!.version,
    generated: fast!.generated,
    expires: fast!.expires,
    names: fast!.packages.map((e) => e.name),
    versions: fast!.packages.map((e) => e.version),
    summaries: fast!.packages.map((e) => e.summary),
  });
  return true;
}

const canonical = (packages: unknown[], extra?: Record<string, unknown>) =>
  bytesOf(JSON.stringify(index(packages, extra)));

describe('an index judged in one pass over its text', () => {
  it('accepts an index as `repo build` writes it, as fastIndex reads it', () => {
    expect(agree(canonical(Array.from({ length: 60 }, (_, i) => entry(i))))).toBe(true);
    expect(agree(canonical([entry(1)]))).toBe(true);
    expect(agree(bytesOf(`${JSON.stringify(index([entry(1)]))}\n \t\r`))).toBe(true);
  });

  it('leaves to the parse what it does not take outright (fastIndex still accepts these)', () => {
    const { depends: _, ...noDepends } = entry(1);
    const cases = [
      bytesOf(JSON.stringify(index([entry(1)]), null, 2)),
      canonical([noDepends]),
      canonical([Object.fromEntries(Object.entries(entry(3)).reverse())]),
      canonical([entry(1, { summary: 'ünïcode' })]),
      canonical([entry(1, { summary: 'a "quoted" \\ one' })]),
      canonical([entry(1, { path: 'pool/ü/x' })]),
      canonical([entry(1, { path: 'pool/.hidden/x' })]),
      canonical([entry(1, { path: 'pool/a b/x' })]),
      canonical([entry(1, { path: 'pool/.../x' })]),
      bytesOf(JSON.stringify(index([entry(1)])).replace('package 1', 'p\\u0061ckage 1')),
      bytesOf(JSON.stringify(index([entry(1)])).replace('"size":1001', '"size":1001.0')),
      bytesOf(JSON.stringify(index([entry(1)])).replace('"size":1001', '"size":1.001e3')),
      canonical([]),
    ];
    for (const b of cases) {
      expect(scanIndex(b), b.toString()).toBeUndefined();
      expect(parseIndexFast(b), b.toString()).toBeDefined();
    }
  });

  const broken: Array<[string, Record<string, unknown>]> = [
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
  it.each(broken)('refuses what the index checks refuse: %s', (_, change) => {
    const b = canonical([entry(1), entry(2, change)]);
    expect(scanIndex(b)).toBeUndefined();
    expect(agree(b)).toBe(false);
  });

  it('takes a path of 1,024 characters, not one of 1,025', () => {
    const path = (n: number) => `pool/${'x'.repeat(n - 5)}`;
    expect(agree(canonical([entry(1, { path: path(1024) })]))).toBe(true);
    expect(scanIndex(canonical([entry(1, { path: path(1025) })]))).toBeUndefined();
    expect(parseIndexFast(canonical([entry(1, { path: path(1025) })]))).toBeUndefined();
  });

  it('refuses a size past the safe integers, written in 16 digits', () => {
    const text = JSON.stringify(index([entry(1)]));
    for (const size of ['9007199254740992', '9999999999999999', '10000000000000000'])
      expect(scanIndex(bytesOf(text.replace('"size":1001', `"size":${size}`)))).toBeUndefined();
    expect(agree(bytesOf(text.replace('"size":1001', '"size":9007199254740991')))).toBe(true);
  });

  it.each([
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
  ])('refuses what the index checks refuse: header %s', (_, change) => {
    expect(scanIndex(canonical([entry(1)], change))).toBeUndefined();
  });

  it('refuses what is not one JSON value: cut short, trailing bytes, a second object, a BOM, a duplicate key', () => {
    const text = JSON.stringify(index([entry(1), entry(2)]));
    for (const t of [
      text.slice(0, -1),
      text.slice(0, -2),
      `${text}x`,
      `${text},{}`,
      `${text}}`,
      `\ufeff${text}`,
      ` ${text}`,
      text.replace('"name":"pkg-2"', '"name":"pkg-2","name":"pkg-3"'),
      text.replace('},{', '}{'),
      text.replace('},{', '},,{'),
      text.replace(']}', ',]}'),
    ])
      expect(scanIndex(bytesOf(t)), t.slice(-40)).toBeUndefined();
  });

  it('never accepts what fastIndex refuses or reads otherwise (random field values)', () => {
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
      fc.property(fc.constantFrom(...Object.keys(entry(0)), 'other'), value, (key, v) => {
        const e: Record<string, unknown> = entry(1);
        e[key] = v;
        agree(canonical([entry(0), e]));
      }),
      { numRuns: 3000 },
    );
  });

  it('never accepts what fastIndex refuses or reads otherwise (random bytes changed in the text)', () => {
    const base = canonical(Array.from({ length: 4 }, (_, i) => entry(i)));
    const bytesFor = fc.constantFrom(...Buffer.from('{}[]",:\\ 0123456789aAzZ.-+/\t\n\x00\x7f\xc3\xa9'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), bytesFor, fc.constantFrom('set', 'insert', 'delete')), {
          minLength: 1,
          maxLength: 3,
        }),
        (changes) => {
          let b = Buffer.from(base);
          for (const [at, byte, how] of changes) {
            const i = Math.min(at, b.length - 1);
            if (how === 'set') b[i] = byte;
            else if (how === 'insert')
              b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
            else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          }
          let fastOk = false;
          try {
            fastOk = parseIndexFast(b) !== undefined;
          } catch {}
          if (scanIndex(b)) expect(fastOk).toBe(true);
          agree(b);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('keeps what the parsed index keeps, byte for byte: cache, head and search table', async () => {
    // Names out of code-unit order, two entries of one name (the index's order decides between them).
    const entries = [
      entry(10),
      entry(2),
      entry(1),
      entry(2, { version: '2.0.0', summary: 'second of pkg-2' }),
    ];
    const bytes = canonical(entries);
    const paths = layout(tempDir());
    mkdirSync(path.join(paths.listsDir, 'main'), { recursive: true });
    const files = () =>
      ['verified.json', 'head.json', 'search.tsv'].map((f) =>
        readFileSync(path.join(paths.listsDir, 'main', f)).toString('latin1'),
      );
    const [signer, sha256] = ['ab'.repeat(20), 'cd'.repeat(32)];
    const asParsed = { value: false };
    const parsed = parseIndexFast(bytes, asParsed)!;
    expect(asParsed.value).toBe(true);
    await writeVerified(paths, 'main', { index: parsed, signer, sha256 }, bytes);
    const viaParse = files();
    await writeScanned(paths, 'main', scanIndex(bytes)!, signer, sha256, bytes);
    expect(files()).toEqual(viaParse);
    expect(viaParse[2]).toContain(
      'pkg-1\t1.1.0\tpackage 1 for text\npkg-10\t1.0.0\tpackage 10 for text\npkg-2\t1.2.0',
    );
    expect(viaParse[2]).toMatch(/pkg-2\t1\.2\.0\t[^\n]*\npkg-2\t2\.0\.0\tsecond of pkg-2\n$/);
  });
});
