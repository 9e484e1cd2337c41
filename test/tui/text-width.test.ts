// The bundle's `string-width` (issue 20, TUI first paint): src/tui/text-width.ts must answer exactly as
// the real string-width 8 for every code point of its fast path, and for mixed strings that leave it
// as string-width does plus what a per-code-point terminal (tmux 3.3a, xterm) draws wider (CONSOLE8).
import realStringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
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

/**
 * The test's own per-code-point count of a cluster (wcwidth as glibc and tmux 3.3a draw): nothing for
 * marks, format and ignorable characters (but the prepended concatenation marks) and for Hangul
 * vowel and final jamo, East Asian Width for the rest.
 */
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}\p{Cs}\p{Default_Ignorable_Code_Point}]$/u;
const PREPENDED = new Set([
  0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6dd, 0x70f, 0x890, 0x891, 0x8e2, 0x110bd, 0x110cd,
]);
function drawnPerCodePoint(cluster: string, o: { ambiguousIsNarrow: boolean }): number {
  let w = 0;
  for (const ch of cluster) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x1160 && c <= 0x11ff) || (c >= 0xd7b0 && c <= 0xd7ff)) continue;
    if (PREPENDED.has(c)) w += 1;
    else if (!ZERO.test(ch))
      w += realStringWidth(ch, { ambiguousIsNarrow: o.ambiguousIsNarrow, countAnsiEscapeCodes: true });
  }
  return w;
}
/** string-width's count, each cluster raised to its per-code-point count where that is wider. */
function expected(s: string, o: { ambiguousIsNarrow: boolean; countAnsiEscapeCodes: boolean }): number {
  const measured = o.countAnsiEscapeCodes ? s : stripAnsi(s);
  let w = realStringWidth(s, o);
  for (const { segment } of segmenter.segment(measured)) {
    const counted = realStringWidth(segment, { ...o, countAnsiEscapeCodes: true });
    w += Math.max(0, drawnPerCodePoint(segment, o) - counted);
  }
  return w;
}

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

  it('counts each kind of emoji and cluster no narrower than tmux 3.3a draws it', () => {
    // [text, string-width, tmux 3.3a's columns (its cursor after 'A<text>B', measured by CONSOLE8)]
    const kinds: [string, number, number][] = [
      ['👍', 2, 2],
      ['👍🏽', 2, 4], // the skin tone's own two columns
      ['👍🏽🏽', 2, 6],
      ['a🏽', 1, 3],
      ['é🏽', 1, 3],
      ['✌🏽', 2, 3],
      ['🏽', 2, 2],
      ['\u200d🏽', 2, 0], // after a joiner tmux puts the tone in the cell before
      ['👩🏽‍💻', 2, 4],
      ['❤️', 2, 1], // an emoji-style selector: tmux one column
      ['☺️', 2, 1],
      ['✌️', 2, 1],
      ['1️⃣', 2, 1], // keycaps
      ['#️⃣', 2, 1],
      ['🇬🇧', 2, 2], // a flag
      ['🇬', 1, 1],
      ['🇬🇧🇫', 3, 3],
      ['🏴󠁧󠁢󠁳󠁣󠁴󠁿', 2, 2], // a tag sequence (tmux keeps its first 21 bytes, the tags it drops are invisible)
      ['👨‍👩‍👧', 2, 2], // tmux keeps 21 bytes of it: the console shows its parts (escaped-sources)
      ['🏳️‍🌈', 2, 1],
      ['क्ष', 1, 2], // a conjunct is one cluster to string-width
      ['क्षि', 2, 3],
      ['กำ', 1, 2],
      ['\u06001', 1, 2],
      ['한', 2, 2],
      ['\u1100\u1161\u11a8', 2, 2],
      ['ｶﾞ', 2, 2],
      ['e\u0301', 1, 1],
    ];
    const wrong: string[] = [];
    for (const [text, sw, tmux] of kinds) {
      if (realStringWidth(text) !== sw)
        wrong.push(`${text}: string-width ${realStringWidth(text)}, not ${sw}`);
      const got = stringWidth(text);
      if (got < Math.max(sw, tmux)) wrong.push(`${text}: ${got} < max(${sw}, ${tmux})`);
    }
    expect(wrong).toEqual([]);
    // Exactly what each counts (the widest of the two, per cluster).
    expect(stringWidth('👍🏽')).toBe(4);
    expect(stringWidth(`admin ${'👍🏽'.repeat(3)}`)).toBe(18);
    expect(stringWidth('a🏽')).toBe(3);
    expect(stringWidth('क्ष')).toBe(2);
    expect(stringWidth('❤️1️⃣🇬🇧🏴󠁧󠁢󠁳󠁣󠁴󠁿')).toBe(8);
    expect(stringWidth('👨‍👩‍👧')).toBe(6); // xterm draws it so (tmux: 2, and loses the last person)
  });

  it('equals string-width, raised per cluster to the per-code-point count, for thousands of random strings mixing fast, ANSI and other characters', () => {
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
      'a\u{1f3fd}',
      '\u0600',
      'क्षि',
      'กำ',
      '👩🏽‍💻',
      '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}',
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
        const want = expected(s, o);
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
