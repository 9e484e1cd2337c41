import { codeUnitGraphemes, lazySegmenter } from './graphemes.js';
import { textWidth } from './text-width.js';

const graphemes = lazySegmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` (one line, already escaped: no control character left) cut into rows of at most `width`
 * terminal columns, as a terminal wraps it: every character kept, in order, broken anywhere (a log
 * line's indentation and spacing are its meaning), never inside a grapheme (a family or a flag emoji
 * stays whole) and never through a wide character (a CJK character or an emoji that would take the
 * row's last column goes to the next row). A grapheme wider than the whole row has a row of its own.
 */
export function wrapWidth(text: string, width: number): string[] {
  const w = Math.max(1, width);
  // ASCII and the like: one column a code unit, sliced.
  if (codeUnitGraphemes(text) && textWidth(text) === text.length) {
    if (text.length <= w) return [text];
    const rows: string[] = [];
    for (let i = 0; i < text.length; i += w) rows.push(text.slice(i, i + w));
    return rows;
  }
  const rows: string[] = [];
  let row = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const g = textWidth(segment);
    if (used + g > w && row) {
      rows.push(row);
      row = '';
      used = 0;
    }
    row += segment;
    used += g;
  }
  rows.push(row);
  return rows;
}

/** Tab stops every 8 columns, as a terminal keeps them: a tab becomes the spaces to the next one. */
export function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const [i, piece] of line.split('\t').entries()) {
    if (i > 0) out += ' '.repeat(8 - (textWidth(out) % 8));
    out += piece;
  }
  return out;
}
