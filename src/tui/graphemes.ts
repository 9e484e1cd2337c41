/**
 * A grapheme segmenter that starts ICU only when the text needs it (issue 20, TUI first paint).
 * The first Intl.Segmenter of a process loads ICU's data: 20-27 ms of CPU over SSH, ~10 % of the
 * console's first paint, and the Dashboard's text (ASCII, box drawing, bullets, symbols) never needs
 * it. In the console part, Ink's line-update, string-width, wrap-ansi, cli-truncate, slice-ansi and
 * ansi-tokenize take `lazySegmenter` in place of `new Intl.Segmenter` (scripts/build-console-part.mjs).
 *
 * A text whose every code unit is a fast code point (text-width.ts's FAST_RANGES) other than CR is
 * segmented one code unit at a time, as ICU would: no code point there joins a grapheme cluster with
 * a neighbour (none is Extend, ZWJ, SpacingMark, Prepend, Regional_Indicator, Hangul, a variation
 * selector, an emoji modifier or a surrogate), except CR LF, which is one cluster. Anything else
 * goes to a real Intl.Segmenter, made on first need. test/tui/graphemes.test.ts compares both.
 */

/**
 * Inclusive code point ranges of the fast path, each checked against Unicode 17's properties (and by
 * the test against Intl.Segmenter): Basic Latin, Latin-1, Latin Extended-A/B, IPA, Spacing Modifier
 * Letters (not the combining marks from U+0300); General Punctuation without U+2000–200F (spaces,
 * ZWNJ, ZWJ, marks), U+2028–202F (separators, bidi controls) and U+205F–206F (invisible operators,
 * isolates); superscripts and currency (not the combining marks for symbols from U+20D0); letterlike
 * symbols to Miscellaneous Symbols and Arrows (arrows, maths, technical, box drawing, blocks,
 * geometric shapes, dingbats, Braille).
 */
export const FAST_RANGES: readonly (readonly [number, number])[] = [
  [0x0000, 0x007e],
  [0x007f, 0x009f],
  [0x00a0, 0x02ff],
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2070, 0x20cf],
  [0x2100, 0x2bff],
];

export function isFastCodePoint(c: number): boolean {
  return (
    c <= 0x02ff ||
    (c >= 0x2010 && c <= 0x2027) ||
    (c >= 0x2030 && c <= 0x205e) ||
    (c >= 0x2070 && c <= 0x20cf) ||
    (c >= 0x2100 && c <= 0x2bff)
  );
}

/** Whether every grapheme cluster of `s` is one of its code units (see above). */
export function codeUnitGraphemes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) continue;
    if (c === 0x0d || !isFastCodePoint(c)) return false;
  }
  return true;
}

interface SegmentData {
  segment: string;
  index: number;
  input: string;
}

/** Intl.Segments of a text whose graphemes are its code units: iterable, and `containing`. */
class CodeUnitSegments {
  constructor(private readonly input: string) {}

  containing(codeUnitIndex?: number): SegmentData | undefined {
    const n = Math.trunc(Number(codeUnitIndex ?? 0)) || 0;
    if (n < 0 || n >= this.input.length) return undefined;
    return { segment: this.input[n]!, index: n, input: this.input };
  }

  [Symbol.iterator](): Iterator<SegmentData> {
    const input = this.input;
    let i = 0;
    return {
      next: () =>
        i < input.length
          ? { done: false, value: { segment: input[i]!, index: i++, input } }
          : { done: true, value: undefined },
    };
  }
}

type Segmenter = Pick<Intl.Segmenter, 'segment' | 'resolvedOptions'>;

/** `new Intl.Segmenter(locales, options)`, with ICU started on first need (grapheme granularity). */
export function lazySegmenter(
  locales?: ConstructorParameters<typeof Intl.Segmenter>[0],
  options?: Intl.SegmenterOptions,
): Segmenter {
  if (options?.granularity !== undefined && options.granularity !== 'grapheme')
    return new Intl.Segmenter(locales, options);
  let real: Intl.Segmenter | undefined;
  const get = () => {
    real ??= new Intl.Segmenter(locales, options);
    return real;
  };
  return {
    segment(input: string) {
      const s = String(input);
      if (codeUnitGraphemes(s)) return new CodeUnitSegments(s) as unknown as Intl.Segments;
      return get().segment(s);
    },
    resolvedOptions: () => get().resolvedOptions(),
  };
}
