import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { CatalogEntry } from '../../app/index.js';
import { catalogNeedsLine, catalogRow, catalogTotals } from '../../present/catalog.js';
import { wrapLines } from '../components/ScrollLines.js';
import { fitCell, windowStart } from '../components/Table.js';
import { keyRows, WIZARD_KEY_LINE } from '../keys.js';
import { useTheme } from '../theme.js';

/**
 * The wizard's module checklist over the image's offline catalog (issue 18): up/down move, Space
 * chooses or unchooses, Enter accepts the choice (none is a choice), Esc goes back. Each row says
 * what the module needs, and the foot what the choice needs against what the box has. The list is
 * a window that follows the cursor within `height` rows (the first-boot console is 80×24): the
 * foot is always shown, and "↑ n more"/"↓ n more" say what is out of sight.
 */
export function SetupCatalog(props: {
  entries: CatalogEntry[];
  initial: string[];
  box: { memoryBytes: number; freeDiskBytes: number };
  width: number;
  /** Rows the checklist may take, its foot included. */
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
  const foot = catalogTotals(picked, props.box, props.entries).flatMap((l) => wrapLines(l, props.width));
  // Each entry takes two rows (its row and its needs); a window leaves one row for each marker.
  const help = keyRows(WIZARD_KEY_LINE.checklist, props.width);
  const room = props.height - foot.length - help.length;
  const count = props.entries.length;
  const shown = 2 * count <= room ? count : Math.max(1, Math.floor((room - 2) / 2));
  const start = windowStart(cursor, shown, count);
  const below = count - start - shown;
  return (
    <Box flexDirection="column" flexShrink={0}>
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
