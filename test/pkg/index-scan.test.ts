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
import { brokenEntries, brokenHeaders, entry, fieldValue, index } from '../helpers/index-cases.js';
import { tempDir } from '../helpers/pkg.js';

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

  it.each(brokenEntries)('refuses what the index checks refuse: %s', (_, change) => {
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

  it.each(brokenHeaders)('refuses what the index checks refuse: header %s', (_, change) => {
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
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(entry(0)), 'other'), fieldValue, (key, v) => {
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
    expect(viaParse[2]).toContain('pkg-1\t1.1.0\tpackage 1\npkg-10\t1.0.0\tpackage 10\npkg-2\t1.2.0');
    expect(viaParse[2]).toMatch(/pkg-2\t1\.2\.0\t[^\n]*\npkg-2\t2\.0\.0\tsecond of pkg-2\n$/);
  });
});
