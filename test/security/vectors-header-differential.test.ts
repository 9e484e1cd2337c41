/**
 * header-parse.ts (1471097) parses a snapshot's header by hand at the top level and with
 * JSON.parse a group of elements at a time; it promises JSON.parse's result and JSON.parse's
 * refusals. A differential run against JSON.parse: a few thousand generated headers (escapes,
 * \u surrogates and lone ones, -0, 1e400, duplicate keys, deep nesting, odd whitespace, a BOM,
 * trailing garbage, commas out of place, elements large enough to be a group of their own) and
 * mutations of them. Found: a "__proto__" key set the result's prototype (JSON.parse makes it an
 * own key), so a header's missing fields were read from an object of the uploader's choosing;
 * and a trailing comma after an element of 256 KB or more, or a comma after 256 KB of spaces, was
 * taken (JSON.parse refuses both).
 */
import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { parseHeader } from '../../modules/vectors/server/header-parse.js';

function run(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    const work = parseHeader(bytes);
    for (;;) {
      const r = work.next();
      if (r.done) return { ok: true, value: r.value };
    }
  } catch {
    return { ok: false };
  }
}

function reference(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

let seed = 12345;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;

const STRINGS = [
  '',
  'a',
  '"',
  '\\',
  '\\"',
  '],[{"',
  '\u2028\u2029',
  'é😀',
  '\ud800',
  '\udc00x',
  '\u0000\u001f',
  '__proto__',
];
const RAW_STRINGS = [
  '"\\ud83d\\ude00"',
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"\\u0041\\/\\b\\f\\n\\r\\t"',
  '"\\x41"',
  '"\\u12"',
  '"\t"',
  '"a\\"]"',
];
const NUMBERS = [
  '-0',
  '0',
  '1e400',
  '-1e400',
  '1E-400',
  '0.5e+3',
  '01',
  '-',
  '1.',
  '.5',
  '+1',
  '1e',
  '123456789012345678901234567890',
];
const WS = ['', ' ', '\n', '\r\n', '\t', '\u00a0', '\u000b'];
const KEYS = [
  'name',
  'config',
  'capacity',
  'labels',
  'ids',
  'payloads',
  'versions',
  '__proto__',
  'constructor',
  'x',
];

function value(depth: number): string {
  const w = () => (rnd(4) === 0 ? pick(WS) : '');
  const r = rnd(depth > 6 ? 4 : 7);
  if (r === 0) return rnd(2) ? JSON.stringify(pick(STRINGS)) : pick(RAW_STRINGS);
  if (r === 1) return pick(NUMBERS);
  if (r === 2) return pick(['true', 'false', 'null', 'nul', 'True']);
  if (r === 3) return String(rnd(1000));
  if (r === 4) {
    const n = rnd(4);
    return `[${w()}${Array.from({ length: n }, () => value(depth + 1)).join(`${w()},${w()}`)}${w()}]`;
  }
  if (r === 5) return `${'['.repeat(50)}1${']'.repeat(50)}`;
  const n = rnd(4);
  return `{${w()}${Array.from({ length: n }, () => `${JSON.stringify(pick(KEYS))}${w()}:${w()}${value(depth + 1)}`).join(',')}${w()}}`;
}

const big = () => JSON.stringify({ t: 'x'.repeat(256 * 1024 + rnd(10)) });

function header(): string {
  const parts: string[] = [];
  const n = 1 + rnd(6);
  for (let i = 0; i < n; i++) {
    const key = pick(KEYS);
    let v: string;
    if (['labels', 'ids', 'payloads', 'versions'].includes(key) && rnd(3) > 0) {
      const els = Array.from({ length: rnd(5) }, () => (rnd(8) === 0 ? big() : value(1)));
      v = `[${els.join(rnd(10) === 0 ? ', ' : ',')}${rnd(8) === 0 ? ',' : ''}${pick(WS)}]`;
    } else v = value(1);
    parts.push(`${JSON.stringify(key)}${pick(WS)}:${pick(WS)}${v}`);
  }
  return `${pick(WS)}{${parts.join(',')}}${pick(WS)}`;
}

function mutate(s: string): string {
  const at = rnd(s.length + 1);
  switch (rnd(7)) {
    case 0:
      return s.slice(0, at) + s.slice(at + 1);
    case 1:
      return s.slice(0, at) + pick([',', ']', '}', '[', '{', '"', '\\', ':']) + s.slice(at);
    case 2:
      return `\ufeff${s}`;
    case 3:
      return `${s}${pick(['x', ',', '}', ' {}', '\u0000'])}`;
    case 4:
      return s.replace(/\]\s*}/, ',]}');
    case 5:
      return s.slice(0, at);
    default:
      return s;
  }
}

it('agrees with JSON.parse on generated headers and their mutations (a differential run)', () => {
  const diffs: string[] = [];
  for (let k = 0; k < 3000 && diffs.length < 5; k++) {
    const base = header();
    for (const text of [base, mutate(base), mutate(mutate(base))]) {
      const want = reference(text);
      // A header is an object; any other top level is refused.
      const wantOk =
        want.ok && typeof want.value === 'object' && want.value !== null && !Array.isArray(want.value);
      const got = run(Buffer.from(text));
      if (got.ok !== wantOk || (got.ok && want.ok && !isDeepStrictEqual(got.value, want.value)))
        diffs.push(
          `${got.ok ? 'taken' : 'refused'} vs JSON.parse ${want.ok ? 'taken' : 'refused'}: ${text.slice(0, 120)} … ${text.slice(-60)}`,
        );
    }
  }
  expect(diffs).toEqual([]);
}, 120_000);

it('a "__proto__" key is an own key, as JSON.parse makes it, never the prototype', () => {
  const text = '{"__proto__":{"name":"x","labels":[1]},"ids":[]}';
  const got = run(Buffer.from(text));
  expect(got.ok).toBe(true);
  const h = (got as { value: Record<string, unknown> }).value;
  // Before: h.name was 'x', read through the prototype.
  expect(h.name).toBeUndefined();
  expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
  expect(isDeepStrictEqual(h, JSON.parse(text))).toBe(true);
});

it('a trailing comma after a large element is refused, as JSON.parse refuses it', () => {
  const text = `{"payloads":[${big()},]}`;
  expect(reference(text).ok).toBe(false);
  // Before: taken, the comma ending a group of one element.
  expect(run(Buffer.from(text)).ok).toBe(false);
  // So is a comma after 256 KB of spaces (before: an empty group, left out: [1]).
  const spaces = `{"ids":[${' '.repeat(300_000)},1]}`;
  expect(reference(spaces).ok).toBe(false);
  expect(run(Buffer.from(spaces)).ok).toBe(false);
  expect(run(Buffer.from(`{"ids":[ ${' '.repeat(300_000)} ]}`))).toEqual({ ok: true, value: { ids: [] } });
});
