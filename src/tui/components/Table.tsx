import { Box, Text } from 'ink';
import { escapeLine } from '../../present/escape.js';
import { useTheme } from '../theme.js';

export interface Column<T> {
  header: string;
  /** Fixed width in characters; columns without one share what is left. */
  width?: number;
  get(row: T): string;
}

/**
 * Cuts a cell to its width with an ellipsis, and pads it. Control characters are shown escaped
 * (`\x1b`) first: Ink passes escape sequences through, and a cell holds untrusted text.
 */
export function fitCell(text: string, width: number): string {
  if (width <= 0) return '';
  const t = escapeLine(text.replace(/[\r\n\t]+/g, ' '));
  return t.length > width ? `${t.slice(0, Math.max(0, width - 1))}…` : t.padEnd(width);
}

/** The first row to show so that `selected` stays in a window of `height` rows. */
export function windowStart(selected: number, height: number, count: number): number {
  if (count <= height) return 0;
  return Math.min(Math.max(0, selected - Math.floor(height / 2)), count - height);
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
  empty?: string;
}) {
  const { plain } = useTheme();
  const { columns, rows, height, width } = props;
  const fixed = columns.reduce((n, c) => n + (c.width ?? 0) + 1, 0);
  const flexible = columns.filter((c) => c.width === undefined).length;
  const share = flexible ? Math.max(8, Math.floor((width - 2 - fixed) / flexible)) : 0;
  const widths = columns.map((c) => c.width ?? share);
  const line = (cells: string[]) => cells.map((c, i) => fitCell(c, widths[i]!)).join(' ');
  const start = windowStart(props.selected ?? 0, height, rows.length);
  const shown = rows.slice(start, start + height);
  return (
    <Box flexDirection="column">
      <Text bold={!plain} underline={!plain}>
        {'  '}
        {line(columns.map((c) => c.header))}
      </Text>
      {rows.length === 0 ? <Text dimColor={!plain}>{`  ${props.empty ?? 'Nothing to show.'}`}</Text> : null}
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
