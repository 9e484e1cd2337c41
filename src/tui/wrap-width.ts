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

/**
 * `text` (one line, already escaped) broken at spaces into rows of at most `width` terminal columns,
 * as wrapLines does by characters: a CJK or emoji name takes two columns a character, so counted by
 * characters it was wrapped short and Ink cut it with `…`. A word wider than the row is cut as a
 * terminal wraps it (wrapWidth: never inside a grapheme, so never between a surrogate pair's halves,
 * a letter and its combining accent, or a family emoji's parts). Only a space that is a grapheme of
 * its own breaks a row: a space carrying a combining mark is part of its word.
 */
export function wrapWords(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const words: string[] = [];
  let word = '';
  for (const { segment } of graphemes.segment(text)) {
    if (segment === ' ') {
      words.push(word);
      word = '';
    } else word += segment;
  }
  words.push(word);
  const rows: string[] = [];
  let row = '';
  let used = 0;
  for (const next of words) {
    const nextWidth = textWidth(next);
    // As wrapLines: an empty row takes the word without a space before it.
    const grown = row ? used + 1 + nextWidth : nextWidth;
    if (grown <= w) {
      row = row ? `${row} ${next}` : next;
      used = grown;
      continue;
    }
    if (row) rows.push(row);
    const cut = wrapWidth(next, w);
    rows.push(...cut.slice(0, -1));
    row = cut.at(-1) ?? '';
    used = textWidth(row);
  }
  rows.push(row);
  return rows;
}

/** `text` padded with spaces to `columns` terminal columns (String.padEnd counts UTF-16 code units). */
export function padColumns(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - textWidth(text)));
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

/**
 * `row` ending in '…' (what follows it was left out) within `width` terminal columns: the '…' takes a
 * column of its own, so a full row gives up its last grapheme for it. Appended to a full row, it made
 * the row one column too wide and Ink's truncate cut one more character (CONSOLE6); sliced by UTF-16
 * units, a wide or surrogate-pair character counted half (a lone surrogate, a row twice too wide).
 */
export function endWithEllipsis(row: string, width: number): string {
  const room = Math.max(0, width - 1);
  const w = textWidth(row);
  if (w <= room) return `${row}…`;
  // ASCII and the like: sliced, no segmenter started (the first paint stays without ICU).
  if (codeUnitGraphemes(row) && w === row.length) return `${row.slice(0, room)}…`;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(row)) {
    const g = textWidth(segment);
    if (used + g > room) break;
    out += segment;
    used += g;
  }
  return `${out}…`;
}
