/** The log view's wrap (wrap-width.ts): by terminal columns, whole graphemes, every character kept. */
import { describe, expect, it } from 'vitest';
import { textWidth } from '../../src/tui/text-width.js';
import { expandTabs, wrapWidth } from '../../src/tui/wrap-width.js';

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
    const flagged = wrapWidth(`xxx${family}🇯🇵y`, 4);
    expect(flagged).toEqual(['xxx', `${family}🇯🇵`, 'y']);
    for (const r of flagged) expect(textWidth(r)).toBeLessThanOrEqual(4);
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
