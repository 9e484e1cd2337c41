import { Box, Text } from 'ink';
import { escapeLine } from '../../present/escape.js';
import { codeUnitGraphemes, lazySegmenter } from '../graphemes.js';
import { textWidth } from '../text-width.js';
import { useTheme } from '../theme.js';

export interface Column<T> {
  header: string;
  /** Fixed width in characters; columns without one share what is left. */
  width?: number;
  get(row: T): string;
}

const graphemes = lazySegmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts a cell to its width with an ellipsis, and pads it, in the columns the text takes on screen
 * (a CJK character or an emoji takes two; QA25: cut by UTF-16 units, a summary of them ran past its
 * column), never inside a character (a family or a flag emoji is kept whole or left out whole).
 * Control characters are shown escaped (`\x1b`) first: Ink passes escape sequences through, and a
 * cell holds untrusted text.
 */
export function fitCell(text: string, width: number): string {
  if (width <= 0) return '';
  const t = escapeLine(text.replace(/[\r\n\t]+/g, ' '));
  if (codeUnitGraphemes(t) && textWidth(t) === t.length)
    return t.length > width ? `${t.slice(0, Math.max(0, width - 1))}…` : t.padEnd(width);
  const w = textWidth(t);
  if (w <= width) return t + ' '.repeat(width - w);
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(t)) {
    const g = textWidth(segment);
    if (used + g > width - 1) break;
    out += segment;
    used += g;
  }
  return `${out}…${' '.repeat(Math.max(0, width - 1 - used))}`;
}

/** The first row to show so that `selected` stays in a window of `height` rows. */
export function windowStart(selected: number, height: number, count: number): number {
  if (count <= height) return 0;
  return Math.min(Math.max(0, selected - Math.floor(height / 2)), count - height);
}

/** The room a flexible column (a summary, a detail) is given before fixed columns narrow. */
const FLEXIBLE_ROOM = 30;

/**
 * Each column's width. A fixed column keeps its width while the others have FLEXIBLE_ROOM, so the
 * layout does not move as a state changes; where they would not, the columns with the most room to
 * spare beyond their header and widest cell give it up (QA25: `available` kept the State column's 28
 * columns, leaving a summary 9 at 80 columns); where that leaves less than 8 (a 40-column serial
 * line), the widest is narrowed, down to 6, before the others go past the screen's edge.
 */
export function columnWidths<T>(columns: Column<T>[], rows: T[], width: number): number[] {
  const fixed = columns.map((c) => c.width !== undefined);
  const widths = columns.map((c) => c.width ?? 0);
  const needs = columns.map((c) =>
    rows.reduce((m, r) => Math.max(m, textWidth(c.get(r))), textWidth(c.header)),
  );
  const flexible = fixed.filter((f) => !f).length;
  const room = () => width - 2 - widths.reduce((n, w) => n + w + 1, 0);
  const narrow = (spare: (i: number) => number, floor: number) => {
    const i = widths.reduce((m, _, j) => (fixed[j] && (m < 0 || spare(j) > spare(m)) ? j : m), -1);
    if (i < 0 || spare(i) <= floor) return false;
    widths[i]!--;
    return true;
  };
  while (room() < FLEXIBLE_ROOM * flexible && narrow((j) => widths[j]! - needs[j]!, 0));
  while (room() < 8 * flexible && narrow((j) => widths[j]!, 6));
  const share = flexible ? Math.max(8, Math.floor(room() / flexible)) : 0;
  return widths.map((w, i) => (fixed[i] ? w : share));
}

/**
 * A keyboard-driven table: fixed header, one selected row, scrolls to keep it in view. Written
 * here because ink-table 3.1 is CommonJS and `require()`s Ink, which is ESM with top-level await
 * since Ink 4 (ERR_REQUIRE_ASYNC_MODULE); see docs/tui.md.
 */
export function Table<T>(props: {
  columns: Column<T>[];
  rows: T[];
  selected?: number;
  height: number;
  width: number;
  /** What an empty table says: one line, or lines wrapped by the caller (each shown indented). */
  empty?: string | string[];
}) {
  const { plain } = useTheme();
  const { columns, rows, height, width } = props;
  const widths = columnWidths(columns, rows, width);
  const line = (cells: string[]) => cells.map((c, i) => fitCell(c, widths[i]!)).join(' ');
  const start = windowStart(props.selected ?? 0, height, rows.length);
  const shown = rows.slice(start, start + height);
  return (
    <Box flexDirection="column">
      {/* Cut as the rows are: wrapped, its last headers took a row of their own (QA25). */}
      <Text bold={!plain} underline={!plain} wrap="truncate">
        {'  '}
        {line(columns.map((c) => c.header))}
      </Text>
      {rows.length === 0
        ? [props.empty ?? 'Nothing to show.'].flat().map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the message is its identity
            <Text key={`e${i}`} dimColor={!plain} wrap="truncate">{`  ${l}`}</Text>
          ))
        : null}
      {shown.map((row, i) => {
        const index = start + i;
        const sel = index === props.selected;
        return (
          <Text key={index} inverse={sel && !plain} wrap="truncate">
            {sel ? '> ' : '  '}
            {line(columns.map((c) => c.get(row)))}
          </Text>
        );
      })}
      {rows.length > height ? (
        <Text dimColor={!plain}>{`  ${start + 1}-${start + shown.length} of ${rows.length}`}</Text>
      ) : null}
    </Box>
  );
}
