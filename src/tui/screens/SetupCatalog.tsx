import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { CatalogEntry } from '../../app/index.js';
import { catalogNeedsLine, catalogRow, catalogTotals, catalogTotalsShort } from '../../present/catalog.js';
import { wrapLines } from '../components/ScrollLines.js';
import { fitCell, windowStart } from '../components/Table.js';
import { keyRows, WIZARD_KEY_LINE } from '../keys.js';
import { SPARE_ROWS } from '../screen.js';
import { useTheme } from '../theme.js';
import { endWithEllipsis } from '../wrap-width.js';

/**
 * The wizard's module checklist over the image's offline catalog (issue 18): up/down move, Space
 * chooses or unchooses, Enter accepts the choice (none is a choice), Esc goes back. Each row says
 * what the module needs, and the foot what the choice needs against what the box has. The list is
 * a window that follows the cursor within `height` rows (the first-boot console is 80×24): the
 * foot is always shown, and "↑ n more"/"↓ n more" say what is out of sight. On a screen too short
 * for all of it (a 40x12 serial line, TUI40) the prompt goes (it repeats the keys), then the totals
 * shorten, then they are cut: the cursor's entry and the key rows always stay.
 */
export function SetupCatalog(props: {
  entries: CatalogEntry[];
  initial: string[];
  box: { memoryBytes: number; freeDiskBytes: number };
  /** The step's question, above the list. */
  prompt: string;
  width: number;
  /** Rows the checklist may take, its prompt and foot included. */
  height: number;
  /** A bare Enter that belongs to the previous step's letter (see Setup): ignored. */
  isEcho(): boolean;
  /** False while the wizard's help shows over the checklist: it takes no key then. */
  active?: boolean;
  onSubmit(names: string[]): void;
  onBack(): void;
}) {
  const { plain } = useTheme();
  const [cursor, setCursor] = useState(0);
  const [chosen, setChosen] = useState(
    () =>
      new Set(
        props.initial.filter((n) =>
          props.entries.some((e) => e.name === n && !e.problem && !e.outbound.length),
        ),
      ),
  );
  useInput(
    (input, key) => {
      if (key.upArrow) setCursor((c) => Math.max(0, c - 1));
      else if (key.downArrow) setCursor((c) => Math.min(props.entries.length - 1, c + 1));
      else if (input === ' ') {
        const e = props.entries[cursor];
        if (!e || e.problem || e.outbound.length) return; // see catalogNeedsLine
        const next = new Set(chosen);
        if (next.has(e.name)) next.delete(e.name);
        else next.add(e.name);
        setChosen(next);
      } else if (key.return && !props.isEcho())
        props.onSubmit(props.entries.filter((e) => chosen.has(e.name)).map((e) => e.name));
      else if (key.escape) props.onBack();
    },
    { isActive: props.active !== false },
  );
  const picked = props.entries.filter((e) => chosen.has(e.name));
  const wrap = (lines: string[]) => lines.flatMap((l) => wrapLines(l, props.width));
  // Each entry takes two rows (its row and its needs); a window leaves one row for each marker.
  const help = keyRows(WIZARD_KEY_LINE.checklist, props.width);
  const count = props.entries.length;
  const list = count > 1 ? 4 : 2; // the least the list takes: one entry, a row for each marker
  const prompt = wrapLines(props.prompt, props.width);
  const full = wrap(catalogTotals(picked, props.box, props.entries));
  // All but the whole list fits (80x24): as it was. Else the screen's spare rows are taken too, and
  // the prompt goes, then the totals shorten, then they are cut.
  const least = props.height + SPARE_ROWS - help.length - list;
  const [above, foot, height] =
    prompt.length + full.length + list + help.length <= props.height
      ? [prompt, full, props.height]
      : prompt.length + full.length <= least
        ? [prompt, full, props.height + SPARE_ROWS]
        : full.length <= least
          ? [[], full, props.height + SPARE_ROWS]
          : [
              [],
              cut(wrap(catalogTotalsShort(picked, props.box, props.entries)), least, props.width),
              props.height + SPARE_ROWS,
            ];
  const room = height - above.length - foot.length - help.length;
  const shown = 2 * count <= room ? count : Math.max(1, Math.floor((room - 2) / 2));
  const start = windowStart(cursor, shown, count);
  const below = count - start - shown;
  return (
    <Box flexDirection="column" flexShrink={0}>
      {above.map((l) => (
        <Text key={l} wrap="truncate">
          {l}
        </Text>
      ))}
      {start > 0 ? <Text dimColor={!plain}>{`  ↑ ${start} more`}</Text> : null}
      {props.entries.slice(start, start + shown).map((e, n) => {
        const i = start + n;
        return (
          <Box key={e.name} flexDirection="column" flexShrink={0}>
            <Text bold={!plain && i === cursor} inverse={!plain && i === cursor} wrap="truncate">
              {fitCell(
                `${i === cursor ? '>' : ' '} [${chosen.has(e.name) ? 'x' : ' '}] ${catalogRow(e)}`,
                props.width,
              )}
            </Text>
            <Text dimColor={!plain} wrap="truncate">
              {fitCell(`      ${catalogNeedsLine(e)}`, props.width)}
            </Text>
          </Box>
        );
      })}
      {below > 0 ? <Text dimColor={!plain}>{`  ↓ ${below} more`}</Text> : null}
      {foot.map((l, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: wrapped lines of one text may repeat
        <Text key={n} wrap="truncate">
          {l}
        </Text>
      ))}
      {help.map((row) => (
        <Text key={row} dimColor={!plain} wrap="truncate">
          {row}
        </Text>
      ))}
    </Box>
  );
}

/** The first `rows` of `lines`, the last of them ending in '…' (within `width` columns) when some are left out. */
function cut(lines: string[], rows: number, width: number): string[] {
  if (lines.length <= rows) return lines;
  const kept = lines.slice(0, Math.max(0, rows));
  const last = kept.at(-1);
  if (last !== undefined) kept[kept.length - 1] = endWithEllipsis(last, width);
  return kept;
}
