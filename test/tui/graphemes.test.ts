/**
 * src/tui/graphemes.ts's segmenter, which the console part's text packages take in place of
 * Intl.Segmenter (issue 20, TUI first paint: ICU not started for the Dashboard's text), against
 * Intl.Segmenter itself: the same segments, by iteration and by `containing`, for every fast code
 * point, next to a spread of others, and for mixed strings; ICU's segmenter made only for text
 * outside the fast ranges.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { codeUnitGraphemes, FAST_RANGES, lazySegmenter } from '../../src/tui/graphemes.js';

const real = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const fast: number[] = [];
for (const [from, to] of FAST_RANGES) for (let c = from; c <= to; c++) fast.push(c);

const plain = (segments: Iterable<{ segment: string; index: number; input: string }>) =>
  [...segments].map(({ segment, index, input }) => ({ segment, index, input }));

function same(s: string, seg = lazySegmenter()): void {
  const got = seg.segment(s);
  const want = real.segment(s);
  expect(plain(got)).toEqual(plain(want));
  for (let i = -1; i <= s.length; i++) {
    const a = got.containing(i);
    const b = want.containing(i);
    expect(a && { segment: a.segment, index: a.index, input: a.input }).toEqual(
      b && { segment: b.segment, index: b.index, input: b.input },
    );
  }
}

// A deterministic spread of neighbours: the fast ranges' edges, controls, and what joins clusters.
const NEIGHBOURS = [
  0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20, 0x41, 0x7e, 0x7f, 0x9b, 0x9f, 0xa0, 0xad, 0xe9, 0x2ff, 0x300, 0x301,
  0x36f, 0x200b, 0x200c, 0x200d, 0x2010, 0x2027, 0x2028, 0x2030, 0x205e, 0x2060, 0x2070, 0x20cf, 0x20d0,
  0x20e3, 0x2100, 0x231a, 0x2500, 0x25cf, 0x2713, 0x2764, 0x2b50, 0x2bff, 0x2c00, 0xfe0f, 0x1100, 0x1161,
  0xac00, 0x0915, 0x094d, 0x0600, 0x1f600, 0x1f3fb, 0x1f1e6,
].map((c) => String.fromCodePoint(c));

describe('lazySegmenter', () => {
  afterEach(() => vi.restoreAllMocks());

  it('segments every fast code point as Intl.Segmenter does, alone and beside others', () => {
    const seg = lazySegmenter();
    // Each code point between every neighbour, in one string (a neighbour outside the fast ranges
    // sends the whole string to ICU: those are the mixed strings' case below).
    const around = NEIGHBOURS.filter((n) => codeUnitGraphemes(n));
    const bad: string[] = [];
    for (const c of fast) {
      const ch = String.fromCharCode(c);
      same(ch, seg);
      const s = around.map((n) => ch + n).join('') + ch;
      if (JSON.stringify(plain(seg.segment(s))) !== JSON.stringify(plain(real.segment(s))))
        bad.push(c.toString(16));
    }
    expect(bad).toEqual([]);
    // CR LF is one cluster: text with a CR is ICU's.
    expect(codeUnitGraphemes('a\rb')).toBe(false);
  });

  it('segments mixed strings as Intl.Segmenter does', () => {
    let x = 0x2545f491;
    const rand = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const seg = lazySegmenter(undefined, { granularity: 'grapheme' });
    let slow = 0;
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = rand(24);
      for (let k = 0; k < len; k++)
        s +=
          rand(4) === 0 ? NEIGHBOURS[rand(NEIGHBOURS.length)] : String.fromCharCode(fast[rand(fast.length)]!);
      if (!codeUnitGraphemes(s)) slow++;
      same(s, seg);
    }
    // Both paths taken.
    expect(slow).toBeGreaterThan(300);
    expect(slow).toBeLessThan(2900);
    for (const s of [
      '',
      'plain ASCII',
      '\x1b[1mbold\x1b[22m ─ ● ✓',
      'a\r\nb',
      'e\u0301',
      '👍🏽',
      '🇫🇷',
      '한국어',
    ])
      same(s, seg);
  });

  it('makes no Intl.Segmenter for fast text, one for the first other', () => {
    const made = vi.spyOn(Intl, 'Segmenter');
    const seg = lazySegmenter();
    expect(plain(seg.segment('Exposure   firewall ─ ● ✓ ⚠'))).toHaveLength(27);
    expect(made).not.toHaveBeenCalled();
    expect(plain(seg.segment('e\u0301')).map((s) => s.segment)).toEqual(['e\u0301']);
    expect(plain(seg.segment('👍🏽 x')).map((s) => s.segment)).toEqual(['👍🏽', ' ', 'x']);
    expect(made).toHaveBeenCalledTimes(1);
  });

  it('leaves word and sentence segmenters to Intl.Segmenter', () => {
    const words = lazySegmenter('en', { granularity: 'word' });
    expect(plain(words.segment('two words')).map((s) => s.segment)).toEqual(['two', ' ', 'words']);
  });
});
