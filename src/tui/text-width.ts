/**
 * The bundle's `string-width` (scripts/build-options.mjs aliases the package here; issue 20, TUI first
 * paint). string-width 8 answers printable ASCII at once, but the first string with any other
 * character compiles its /v property regexes (`^\p{RGI_Emoji}$` and others) and starts an
 * Intl.Segmenter: ~39 ms, then ~60 µs per mixed string. The console draws box drawing, bullets and
 * symbols on every line, so Ink's measuring (Yoga's measure callbacks, wrap, truncate) paid it.
 *
 * Here a string whose every code point is in FAST_RANGES is measured as the sum of per-code-point
 * widths. No code point there forms a grapheme cluster with a neighbour (none is Extend, ZWJ,
 * SpacingMark, Prepend, Regional_Indicator, Hangul jamo or syllable, variation selector, emoji
 * modifier or surrogate; CR LF is one cluster but both are width 0), so string-width's segments are
 * the code points themselves, and for a single code point its rules reduce to: 0 for what is not
 * visible (the C0 and C1 controls, U+00AD soft hyphen), otherwise its East Asian Width (the same
 * get-east-asian-width it uses; every Emoji_Presentation code point in these ranges is already Wide,
 * which is what `\p{RGI_Emoji}` gives). test/tui/text-width.test.ts compares every one of them, and
 * thousands of mixed strings, with the real string-width. Anything else goes to the real one,
 * memoised, and is counted no narrower than a per-code-point terminal draws it (perCodePointWidth).
 */
import { eastAsianWidth } from 'get-east-asian-width';
import stripAnsi from 'strip-ansi';
// By path: the alias catches the bare name `string-width` only.
import realStringWidth from '../../node_modules/string-width/index.js';
import { FAST_RANGES, isFastCodePoint, lazySegmenter } from './graphemes.js';

export interface Options {
  readonly ambiguousIsNarrow?: boolean;
  readonly countAnsiEscapeCodes?: boolean;
}

// FAST_RANGES and isFastCodePoint live in graphemes.ts (the console part's segmenter shares them).
export { FAST_RANGES, isFastCodePoint };

// Per-code-point widths below U+2C00, filled when first asked: 0xff unknown. One table per
// ambiguousIsNarrow value.
const UNKNOWN = 0xff;
const narrowTable = new Uint8Array(0x2c00).fill(UNKNOWN);
const wideTable = new Uint8Array(0x2c00).fill(UNKNOWN);

function codePointWidth(c: number, table: Uint8Array, ambiguousAsWide: boolean): number {
  let w = table[c]!;
  if (w === UNKNOWN) {
    w = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xad ? 0 : eastAsianWidth(c, { ambiguousAsWide });
    table[c] = w;
  }
  return w;
}

/** The fast path's width, or -1 where a code point is outside FAST_RANGES. */
function fastWidth(s: string, ambiguousIsNarrow: boolean): number {
  const table = ambiguousIsNarrow ? narrowTable : wideTable;
  let width = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) width++;
    else if (isFastCodePoint(c)) width += codePointWidth(c, table, !ambiguousIsNarrow);
    else return -1;
  }
  return width;
}

/**
 * What string-width's grapheme count leaves out. It counts a cluster as a grapheme-aware terminal
 * (kitty, WezTerm) draws it: 👍🏽 two columns, क्ष one. tmux 3.3a, xterm and the Linux console draw
 * each code point in its own columns (wcwidth): 👍🏽 four (the skin tone's own two), क्ष two, กำ two,
 * U+0600 one. A row counted by string-width alone overflowed there (test/security/
 * console-emoji-modifiers). So each cluster counts the wider of the two: where a terminal draws it
 * narrower (❤️, a keycap: one column in tmux) the row ends in a gap, never past its width.
 */
function perCodePointExcess(s: string, ambiguousIsNarrow: boolean): number {
  let excess = 0;
  for (const { segment } of graphemes.segment(s)) {
    // One code point: string-width's count is its East Asian Width or 2, never narrower.
    if (
      segment.length <= 2 &&
      [...segment].length === 1 &&
      !PREPENDED_MARKS.test(segment) &&
      !isWideInWcwidth(segment.codePointAt(0)!)
    )
      continue;
    const drawn = perCodePointWidth(segment, !ambiguousIsNarrow);
    if (drawn === 0) continue;
    const counted = realStringWidth(segment, { ambiguousIsNarrow, countAnsiEscapeCodes: true });
    if (drawn > counted) excess += drawn - counted;
  }
  return excess;
}

const graphemes = lazySegmenter(undefined, { granularity: 'grapheme' });

/** string-width's zero-width characters; compiled when first asked (first paint compiles none). */
let zeroWidth: RegExp | undefined;
/** Format characters that wcwidth (glibc) and tmux draw as one column: prepended concatenation marks. */
const PREPENDED_MARKS = /[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}]/u;

/**
 * East Asian Width Ambiguous (string-width counts them 1) that glibc's wcwidth, and so tmux 3.3a,
 * draws 2: the circled numbers ten to eighty on black squares, U+3248–U+324F, the only such code
 * points REVIEW16's sweep of U+00A0–U+323AF found (test/security/console-black-square-numbers).
 */
const isWideInWcwidth = (c: number): boolean => c >= 0x3248 && c <= 0x324f;

/** A cluster's columns in a terminal that draws each code point by itself (wcwidth). */
function perCodePointWidth(cluster: string, ambiguousAsWide: boolean): number {
  zeroWidth ??=
    /[\p{Default_Ignorable_Code_Point}\p{Control}\p{Format}\p{Nonspacing_Mark}\p{Enclosing_Mark}\p{Surrogate}]/u;
  let width = 0;
  for (const ch of cluster) {
    const c = ch.codePointAt(0)!;
    // A Hangul vowel or final jamo joins the leading one's two columns (glibc: 0).
    if ((c >= 0x1160 && c <= 0x11ff) || (c >= 0xd7b0 && c <= 0xd7ff)) continue;
    if (zeroWidth.test(ch) && !PREPENDED_MARKS.test(ch)) continue;
    width += isWideInWcwidth(c) ? 2 : eastAsianWidth(c, { ambiguousAsWide });
  }
  return width;
}

// The real string-width's answers for strings off the fast path, bounded: cleared when full.
const MEMO_MAX = 2048;
const memo = new Map<string, number>();

/**
 * Also by name, for the console's own screens: they import text-width from the console part's table
 * (scripts/build-console-part.mjs), where a default import of a console module is not its default.
 */
export { stringWidth as textWidth };

export default function stringWidth(input: string, options: Options = {}): number {
  if (typeof input !== 'string' || input.length === 0) return 0;
  const { ambiguousIsNarrow = true, countAnsiEscapeCodes = false } = options;
  // As string-width does before measuring (ESC and CSI introduce every escape strip-ansi removes).
  const s =
    !countAnsiEscapeCodes && (input.includes('\u001b') || input.includes('\u009b'))
      ? stripAnsi(input)
      : input;
  if (s.length === 0) return 0;
  const fast = fastWidth(s, ambiguousIsNarrow);
  if (fast >= 0) return fast;
  // Escapes already stripped (or to be counted): the real one is asked with countAnsiEscapeCodes,
  // which skips its own stripping and measures `s` as given.
  const key = (ambiguousIsNarrow ? 'n' : 'w') + s;
  let w = memo.get(key);
  if (w === undefined) {
    w =
      realStringWidth(s, { ambiguousIsNarrow, countAnsiEscapeCodes: true }) +
      perCodePointExcess(s, ambiguousIsNarrow);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, w);
  }
  return w;
}
