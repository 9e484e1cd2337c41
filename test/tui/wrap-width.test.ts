/** The log view's wrap (wrap-width.ts): by terminal columns, whole graphemes, every character kept. */
import { describe, expect, it } from 'vitest';
import { wrapLines } from '../../src/tui/components/ScrollLines.js';
import { textWidth } from '../../src/tui/text-width.js';
import { expandTabs, padColumns, wrapWidth, wrapWords } from '../../src/tui/wrap-width.js';

describe('wrapWidth', () => {
  it('cuts ASCII every `width` columns, keeping spaces and indentation', () => {
    expect(wrapWidth('  at foo (bar.js:1)', 8)).toEqual(['  at foo', ' (bar.js', ':1)']);
    expect(wrapWidth('', 8)).toEqual(['']);
    expect(wrapWidth('abc', 0)).toEqual(['a', 'b', 'c']);
  });

  it('moves a wide character that would take the last column to the next row; emoji stay whole', () => {
    const rows = wrapWidth('ab日本語cd', 4);
    expect(rows).toEqual(['ab日', '本語', 'cd']);
    const family = '👨‍👩‍👧';
    // The joined family counts 6 columns, as xterm draws it (text-width: per-code-point terminals).
    const flagged = wrapWidth(`xxx${family}🇯🇵y`, 8);
    expect(flagged).toEqual(['xxx', `${family}🇯🇵`, 'y']);
    for (const r of flagged) expect(textWidth(r)).toBeLessThanOrEqual(8);
    expect(flagged.join('')).toBe(`xxx${family}🇯🇵y`);
  });

  it('gives a grapheme wider than the row a row of its own', () => {
    expect(wrapWidth('a日b', 1)).toEqual(['a', '日', 'b']);
  });
});

describe('expandTabs', () => {
  it('puts tab stops every 8 columns, as a terminal does', () => {
    expect(expandTabs('\tat x')).toBe('        at x');
    expect(expandTabs('ab\tc')).toBe('ab      c');
    expect(expandTabs('日本\tc')).toBe('日本    c');
  });
});

describe('wrapWords (wrapLines on text that is not one column a character)', () => {
  it('breaks at spaces by columns: a CJK name takes two a character', () => {
    expect(wrapLines('東京 サーバー 一号機', 10)).toEqual(['東京', 'サーバー', '一号機']);
    expect(wrapLines('ab 東京', 7)).toEqual(['ab 東京']);
    expect(wrapLines('ab 東京', 6)).toEqual(['ab', '東京']);
    // ASCII as before (counted by characters; spaces kept between words).
    expect(wrapLines('aaa  bbb', 5)).toEqual(wrapWords('aaa  bbb', 5));
    expect(wrapLines('ccc dddddddddd', 4)).toEqual(wrapWords('ccc dddddddddd', 4));
  });

  it('cuts a word wider than the row between graphemes only', () => {
    const family = '👨‍👩‍👧‍👦';
    const accented = 'e\u0301'.repeat(5);
    for (const word of [`${family}${family}${family}`, '🇯🇵🇯🇵🇯🇵', accented, '日本語日本語'])
      for (const width of [1, 2, 3, 4, 5]) {
        const rows = wrapWords(word, width);
        expect(rows.join('')).toBe(word);
        for (const r of rows) {
          expect(r).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
          expect(r).not.toMatch(/^\p{M}|^\u200d|\u200d$/u);
          // Only a grapheme wider than the row may overflow it, alone.
          if (textWidth(r) > width) expect([...new Intl.Segmenter().segment(r)]).toHaveLength(1);
        }
      }
  });

  it('a space carrying a combining mark stays in its word', () => {
    expect(wrapWords('日本 \u0301x', 4)).toEqual(['日本', ' \u0301x']);
    expect(wrapWords('日 \u0301x', 4)).toEqual(['日 \u0301x']);
  });

  it('pads by columns', () => {
    expect(padColumns('東京', 6)).toBe('東京  ');
    expect(padColumns('abc', 2)).toBe('abc');
  });
});
