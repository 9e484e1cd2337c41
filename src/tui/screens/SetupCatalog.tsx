import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { CatalogEntry } from '../../app/index.js';
import { catalogNeedsLine, catalogRow, catalogTotals } from '../../present/catalog.js';
import { fitCell } from '../components/Table.js';
import { useTheme } from '../theme.js';

/**
 * The wizard's module checklist over the image's offline catalog (issue 18): up/down move, Space
 * chooses or unchooses, Enter accepts the choice (none is a choice), Esc goes back. Each row says
 * what the module needs, and the foot what the choice needs against what the box has.
 */
export function SetupCatalog(props: {
  entries: CatalogEntry[];
  initial: string[];
  box: { memoryBytes: number; freeDiskBytes: number };
  width: number;
  /** A bare Enter that belongs to the previous step's letter (see Setup): ignored. */
  isEcho(): boolean;
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
  useInput((input, key) => {
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
  });
  const picked = props.entries.filter((e) => chosen.has(e.name));
  return (
    <Box flexDirection="column">
      {props.entries.map((e, i) => (
        <Box key={e.name} flexDirection="column">
          <Text bold={!plain && i === cursor} inverse={!plain && i === cursor}>
            {fitCell(
              `${i === cursor ? '>' : ' '} [${chosen.has(e.name) ? 'x' : ' '}] ${catalogRow(e)}`,
              props.width,
            )}
          </Text>
          <Text dimColor={!plain}>{fitCell(`      ${catalogNeedsLine(e)}`, props.width)}</Text>
        </Box>
      ))}
      {catalogTotals(picked, props.box, props.entries).map((l) => (
        <Text key={l}>{l}</Text>
      ))}
      <Text dimColor={!plain}>{'Space choose  Enter accept  Esc previous step'}</Text>
    </Box>
  );
}
