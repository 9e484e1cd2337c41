import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { escapeLine } from '../../present/escape.js';
import { moveSelection } from '../keys.js';
import { type ScreenProps, SPARE_ROWS } from '../screen.js';
import { followSelection, type Selection } from '../selection.js';
import type { Maybe } from '../sources.js';
import { textWidth } from '../text-width.js';
import { useTheme } from '../theme.js';
import { usePoll } from '../usePoll.js';
import { endWithEllipsis } from '../wrap-width.js';
import { wrapLines } from './ScrollLines.js';
import { type Column, Table } from './Table.js';
import { TextInput } from './TextInput.js';

/** The most rows one note under a list takes (a damaged file's message may be long); the rest is cut. */
const NOTE_ROWS = 6;

/**
 * A list's filter and selected row, kept by the screen that shows it: a screen's Enter view (a
 * service's inspection, a key, a destination) replaces the list, and the list's own state went with
 * it (the selection back at the top, the filter gone). The selection is kept by the row's key
 * (selection.ts); ListScreen notes where the row is at each render, so it lives in a ref.
 */
export function useListState() {
  const [query, setQuery] = useState('');
  const selection = useRef<Selection>({ index: 0, keys: [] });
  const [, redraw] = useState(0);
  const setSelected = useCallback((index: number, key?: string) => {
    selection.current = { ...selection.current, index, key };
    redraw((n) => n + 1);
  }, []);
  return { query, setQuery, selection, setSelected };
}
export type ListState = ReturnType<typeof useListState>;

/** The list's title and count; with `searching`, the filter's field after it (its text, the cursor) too. */
function titleText(title: string, shown: number, all: number, query: string, searching?: boolean): string {
  const count = `${title} (${shown}${query ? ` of ${all}` : ''})  `;
  if (searching === undefined) return count;
  return `${count}${searching ? `/${escapeLine(query)} ` : query ? `filter: ${escapeLine(query)}` : ''}`;
}

/** `text` wrapped at spaces to `width`, NOTE_ROWS rows at most, the last cut with '…'. */
function noteRows(text: string, width: number): string[] {
  const rows = wrapLines(escapeLine(text), width);
  return rows.length > NOTE_ROWS
    ? [...rows.slice(0, NOTE_ROWS - 1), endWithEllipsis(rows[NOTE_ROWS - 1]!, width)]
    : rows;
}

/**
 * A searchable list over one core call: `/` filters as you type, j/k/arrows move, and the
 * screen's own keys act on the selected row. Shows the reason when the data is not available.
 */
export function ListScreen<T>(
  props: ScreenProps & {
    title: string;
    load(): Promise<Maybe<T[]>>;
    columns: Column<T>[];
    /** Text the search matches against. */
    haystack(row: T): string;
    /** What names the row across refreshes (a service's name, a key's fingerprint): the selection follows it. */
    rowKey(row: T): string;
    onKey?(input: string, row: T | undefined, reload: () => void, key: { return: boolean }): void;
    /**
     * The line under the notes: the screen's keys, or what its last action said. Wrapped and counted
     * in the table's height as the notes are (a footer it did not count let several notes push the
     * table off a 40x12 screen); `dim` as keys are shown.
     */
    footer?: { text: string; dim?: boolean };
    /** The filter and selection, from useListState, where they outlive the list (an Enter view). */
    state?: ListState;
    /** Lines under the table, from every row (not only those the filter shows), each wrapped (NOTE_ROWS at most). */
    notes?(rows: T[]): string[];
    refreshMs?: number;
    /** What an empty list says: what to do next (QA25: `Nothing to show.` on an empty Services). */
    empty?: string;
  },
) {
  const { plain } = useTheme();
  const data = usePoll(props.load, props.refreshMs ?? 5000);
  const own = useListState();
  const { query, setQuery, selection, setSelected } = props.state ?? own;
  const [searching, setSearching] = useState(false);
  const { setCapture } = props;
  useEffect(() => setCapture(searching), [searching, setCapture]);
  const all = data.value?.available ? data.value.value : [];
  const q = query.toLowerCase();
  const rows = q ? all.filter((r) => props.haystack(r).toLowerCase().includes(q)) : all;
  // The same row as before this refresh or an Enter view, wherever it now is; when it is gone, the
  // nearest one. Noted for the next render (a ref: nothing to draw again).
  // Two rows with one key (Outbound's same destination blocked, then allowed) are told apart by
  // their turn among that key's rows: the selection follows a key to its first row only.
  const seen = new Map<string, number>();
  const keys = rows.map((r) => {
    const k = props.rowKey(r);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return n ? `${k}\u0000${n}` : k;
  });
  const selected = followSelection(selection.current, keys);
  if (keys.length) selection.current = { index: selected, key: keys[selected], keys };
  // Each note wrapped at spaces (a running service's restart command came last and was cut at 40 or
  // 80 columns), NOTE_ROWS at most, counted in the table's height; all of them together leave the
  // table its rows (3 at least), with one of the rows App keeps spare (a cut row ends in '…').
  const wrapped = (props.notes?.(all) ?? []).flatMap((n) => noteRows(n, props.width));
  const footer = props.footer ? noteRows(props.footer.text, props.width) : [];
  // The title and header rows, a short list's rows (3 at least for a long one, and its range row),
  // the footer's rows; the notes have what is left, one row at least (at 40x12 the Services keys
  // take 3 rows: a cut note ends in '…', and Enter's inspect has the running-limit line whole).
  // An empty list's message (what to do next: commands with the box's --root) wrapped under itself
  // and counted: wrapped at the screen's edge, seven rows at 40x12 pushed the header off (CONSOLE5).
  const emptyText =
    q && all.length
      ? `Nothing matches "${escapeLine(query)}": / then Esc clears the filter.`
      : (props.empty ?? 'Nothing to show.');
  const emptyRows = rows.length ? [] : noteRows(emptyText, props.width - 2);
  // No table rows nor range row under it: the message may take both rows App keeps spare.
  const emptyRoom = Math.max(1, props.height - footer.length);
  const empty =
    emptyRows.length > emptyRoom
      ? [...emptyRows.slice(0, emptyRoom - 1), endWithEllipsis(emptyRows[emptyRoom - 1]!, props.width - 2)]
      : emptyRows;
  const listRows = rows.length > 3 ? 4 : rows.length || empty.length;
  // The title's row (two where it wraps: a long filter at 40 columns; Ink wraps its parts each in
  // its own width, so two is kept then, as before) and the header's; the notes have both rows App
  // keeps spare (with one, Keys' last note at 40x12 was cut with '…' over a blank row).
  const titleRows =
    textWidth(titleText(props.title, rows.length, all.length, query, searching)) <= props.width ? 1 : 2;
  const room = Math.max(1, props.height + SPARE_ROWS - titleRows - 1 - listRows - footer.length);
  const notes =
    wrapped.length > room
      ? [...wrapped.slice(0, room - 1), endWithEllipsis(wrapped[room - 1]!, props.width)]
      : wrapped;
  const tableHeight = Math.max(3, props.height - 3 - notes.length - footer.length);
  useInput(
    (input, key) => {
      const moved = moveSelection(input, key, selected, rows.length, tableHeight);
      if (moved !== undefined) return setSelected(moved, keys[moved]);
      if (input === '/') return setSearching(true);
      props.onKey?.(input, rows[selected], data.refresh, key);
    },
    { isActive: !searching },
  );
  // The error, the reason and each note in one line: a line break in them (a server's answer, a
  // file's text) is shown as `\x0a`, never a line of its own under the screen's.
  if (!data.value) return <Text>{data.error ? `Error: ${escapeLine(data.error)}` : 'Loading...'}</Text>;
  if (!data.value.available)
    return (
      <Box flexDirection="column">
        <Text bold={!plain}>{props.title}</Text>
        <Text>
          {escapeLine(data.value.reason)}
          {/[.!?]$/.test(data.value.reason) ? '' : '.'}
        </Text>
      </Box>
    );
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold={!plain}>{titleText(props.title, rows.length, all.length, query)}</Text>
        {searching ? (
          <>
            <Text>/</Text>
            <TextInput
              value={query}
              onChange={(v) => {
                setQuery(v);
                setSelected(0);
              }}
              onSubmit={() => setSearching(false)}
              onCancel={() => {
                setQuery('');
                setSearching(false);
              }}
            />
          </>
        ) : query ? (
          <Text>{`filter: ${escapeLine(query)}`}</Text>
        ) : null}
      </Box>
      <Table
        columns={props.columns}
        rows={rows}
        selected={selected}
        height={tableHeight}
        width={props.width}
        empty={empty}
      />
      {notes.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a note's place is its identity
        <Text key={i} wrap="truncate">
          {n}
        </Text>
      ))}
      {footer.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the footer is its identity
        <Text key={`f${i}`} dimColor={props.footer?.dim === true && !plain} wrap="truncate">
          {n}
        </Text>
      ))}
    </Box>
  );
}
