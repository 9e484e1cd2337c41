// The bundle's `string-width` (issue 20, TUI first paint): src/tui/text-width.ts must answer exactly as
// the real string-width 8 for every code point of its fast path and for mixed strings that leave it.
import realStringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import stringWidth, { FAST_RANGES, isFastCodePoint } from '../../src/tui/text-width.js';

const OPTIONS = [
  { ambiguousIsNarrow: true, countAnsiEscapeCodes: false },
  { ambiguousIsNarrow: false, countAnsiEscapeCodes: false },
  { ambiguousIsNarrow: true, countAnsiEscapeCodes: true },
  { ambiguousIsNarrow: false, countAnsiEscapeCodes: true },
];

const fastCodePoints: number[] = [];
for (const [from, to] of FAST_RANGES) for (let c = from; c <= to; c++) fastCodePoints.push(c);

const segmenter = new Intl.Segmenter();
const clusters = (s: string) => [...segmenter.segment(s)].length;

describe('text-width (string-width for the bundle)', () => {
  it('covers the ranges checked against Unicode 17 and no more', () => {
    expect(FAST_RANGES.map(([a, b]) => `${a.toString(16)}-${b.toString(16)}`)).toEqual([
      '0-7e',
      '7f-9f',
      'a0-2ff',
      '2010-2027',
      '2030-205e',
      '2070-20cf',
      '2100-2bff',
    ]);
    // isFastCodePoint (the path's own test) agrees with FAST_RANGES over all of Unicode.
    const stray: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      const inRanges = FAST_RANGES.some(([a, b]) => c >= a && c <= b);
      if (isFastCodePoint(c) !== inRanges) stray.push(c.toString(16));
    }
    expect(stray).toEqual([]);
    expect(isFastCodePoint(0x2500)).toBe(true);
    for (const c of [0x300, 0x200d, 0xfe0f, 0x1100, 0x1f1e6, 0xd83d, 0x20e3, 0x3000, 0x1f600])
      expect(isFastCodePoint(c)).toBe(false);
  });

  it('fast-path code points never join a neighbour into one grapheme cluster', () => {
    // Not Extend/ZWJ/SpacingMark (a+c+a), not Prepend (c+a), not a Hangul L/V/T/LV/LVT, not a
    // Regional_Indicator: each pairs with the probe only if it were of that class. (CR LF is the one
    // pair of fast code points that forms a cluster; both are width 0, so the sum is still right.)
    const bad: string[] = [];
    for (const c of fastCodePoints) {
      const s = String.fromCodePoint(c);
      const ok =
        clusters(`a${s}a`) === 3 &&
        clusters(`${s}\u1161`) === 2 &&
        clusters(`\u1100${s}`) === 2 &&
        clusters(`${s}\u11a8`) === 2 &&
        clusters(`${s}\u{1f1e6}`) === 2 &&
        clusters(`\u{1f1e6}${s}`) === 2 &&
        clusters(`${s}${s}`) === 2 &&
        !/[\p{Grapheme_Extend}\p{Mc}\p{Regional_Indicator}\p{Variation_Selector}\p{Emoji_Modifier}\p{Cs}]/u.test(
          s,
        );
      if (!ok) bad.push(c.toString(16));
    }
    expect(bad).toEqual([]);
  });

  it('equals string-width for every fast-path code point, alone and between letters', () => {
    const diffs: string[] = [];
    for (const c of fastCodePoints) {
      const s = String.fromCodePoint(c);
      for (const o of OPTIONS)
        for (const str of [s, `x${s}y`, `${s}${s}${s}`]) {
          const want = realStringWidth(str, o);
          const got = stringWidth(str, o);
          if (got !== want) diffs.push(`U+${c.toString(16)} ${JSON.stringify(o)} ${got} != ${want}`);
        }
    }
    expect(diffs).toEqual([]);
    // Defaults too (ambiguous narrow, escapes stripped).
    for (const c of fastCodePoints) {
      const s = String.fromCodePoint(c);
      if (stringWidth(s) !== realStringWidth(s)) diffs.push(`U+${c.toString(16)} default`);
    }
    expect(diffs).toEqual([]);
  });

  it('equals string-width for thousands of random strings mixing fast, ANSI and other characters', () => {
    let seed = 0x2f6e2b1;
    const rnd = (n: number) => {
      // xorshift32: the same strings on every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const ansi = [
      '\u001b[31m',
      '\u001b[0m',
      '\u001b[1;38;5;208m',
      '\u001b[39m',
      '\u001b]8;;https://example.org\u0007',
      '\u001b]8;;\u0007',
      '\u009b1m',
      '\u001b[2K',
    ];
    const outside = [
      '❤️', // VS16 after a fast code point
      '©\ufe0f',
      '☀\ufe0e',
      '👍🏽',
      '👨‍👩‍👧',
      '🏳️‍🌈',
      '🇫🇷',
      '🇫',
      '1\ufe0f\u20e3',
      '#\u20e3',
      'e\u0301',
      '\u0301',
      '\u0308',
      '\u200d',
      '\u200b',
      '\ufe0f',
      '\u20dd',
      '漢字',
      '\u3000',
      'ｶﾞ',
      '\u1100\u1161\u11a8',
      '\u1100',
      '\u1161',
      '\u11a8',
      '한',
      'क्ष',
      '\u0600',
      '\u0e33',
      '\ud800',
      '\udc00',
      '😀',
      '𝐀',
      '\u2028',
      '\u202e',
      '\u2060',
    ];
    const ascii = () => String.fromCharCode(0x20 + rnd(95));
    const fast = () => String.fromCodePoint(fastCodePoints[rnd(fastCodePoints.length)]!);
    const piece = () => {
      const k = rnd(10);
      if (k < 3) return ascii();
      if (k < 6) return fast();
      if (k < 8) return ansi[rnd(ansi.length)]!;
      return outside[rnd(outside.length)]!;
    };
    const diffs: string[] = [];
    let slow = 0;
    for (let i = 0; i < 6000; i++) {
      const len = 1 + rnd(12);
      let s = '';
      for (let j = 0; j < len; j++) s += piece();
      // A third of the strings stay on the fast path (no outside characters).
      if (i % 3 === 0) s = [...s].filter((ch) => isFastCodePoint(ch.codePointAt(0)!)).join('');
      if ([...s].some((ch) => !isFastCodePoint(ch.codePointAt(0)!))) slow++;
      for (const o of OPTIONS) {
        const want = realStringWidth(s, o);
        // Twice: the second may come from the memo.
        const got = [stringWidth(s, o), stringWidth(s, o)];
        if (got[0] !== want || got[1] !== want)
          diffs.push(`${JSON.stringify(s)} ${JSON.stringify(o)} ${got} != ${want}`);
      }
    }
    expect(diffs.slice(0, 20)).toEqual([]);
    expect(slow).toBeGreaterThan(1500);
  });

  it('answers 0 for what string-width answers 0 for', () => {
    expect(stringWidth('')).toBe(0);
    expect(stringWidth(undefined as unknown as string)).toBe(0);
    expect(stringWidth('\u001b[31m\u001b[0m')).toBe(0);
    expect(stringWidth('─│┌┐●')).toBe(5);
    expect(stringWidth('\u00ad')).toBe(0);
  });
});
