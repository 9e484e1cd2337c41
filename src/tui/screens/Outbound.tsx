import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { OutboundAudit } from '../../app/index.js';
import { DETAIL_BACK } from '../../present/back-key.js';
import { type OutboundRow, outboundRows, outboundSummary } from '../../present/outbound.js';
import { ListScreen, useListState } from '../components/ListScreen.js';
import { ScrollLines, wrapLines } from '../components/ScrollLines.js';
import type { Column } from '../components/Table.js';
import type { ScreenProps } from '../screen.js';
import type { Maybe } from '../sources.js';
import { useTheme } from '../theme.js';

/** A row as the list shows it, and the same destination with its dates' years (for Enter). */
type Row = OutboundRow & { full: OutboundRow };

/** Narrower than this, the list keeps three columns: six in 38 cut each to a few characters (QA25). */
const NARROW = 60;

const WIDE_COLUMNS: Column<Row>[] = [
  { header: 'Who', width: 10, get: (r) => r.who },
  { header: 'Destination', width: 22, get: (r) => r.destination },
  { header: 'Count', width: 6, get: (r) => r.count },
  { header: 'First (UTC)', width: 11, get: (r) => r.firstSeen },
  { header: 'Last (UTC)', width: 11, get: (r) => r.lastSeen },
  { header: 'Verdict', get: (r) => r.verdict },
];

// Who, where (the address and port: the protocol, first in a destination, is in Enter's view) and
// the verdict without its rule; the rest is one Enter away.
const NARROW_COLUMNS: Column<Row>[] = [
  { header: 'Who', width: 7, get: (r) => r.who },
  { header: 'Destination', get: (r) => r.destination.slice(r.destination.indexOf(' ') + 1) },
  { header: 'Verdict', width: 7, get: (r) => (r.blocked ? 'blocked' : 'allowed') },
];

/**
 * Where the box talked to (issue 19): `blueprint audit outbound` as a list, blocked destinations
 * first; Enter shows one whole. Each reading also adds the firewall's counters to the history on
 * disk, as the command does.
 */
export function Outbound(props: ScreenProps) {
  const { sources, width, setCapture } = props;
  const [audit, setAudit] = useState<OutboundAudit | undefined>();
  const [shown, setShown] = useState<Row | undefined>();
  // The filter and the selected destination outlive the destination's view.
  const list = useListState();
  useEffect(() => setCapture(shown !== undefined), [shown, setCapture]);
  const load = useCallback(async (): Promise<Maybe<Row[]>> => {
    if (!sources.outbound) return { available: false, reason: 'not available in this build' };
    const a: Maybe<OutboundAudit> = await sources.outbound();
    if (!a.available) return a;
    setAudit(a.value);
    // Both sorted alike (blocked first, then the last seen): the same destination at each index.
    const full = outboundRows(a.value, true);
    return { available: true, value: outboundRows(a.value, false).map((r, i) => ({ ...r, full: full[i]! })) };
  }, [sources]);
  if (shown) return <Destination {...props} row={shown.full} onClose={() => setShown(undefined)} />;
  const narrow = width < NARROW;
  // Counted in the list's height (ListScreen's notes), wrapped here: a footer it does not count
  // wrapped over four rows at 40 columns and the rows ran over it.
  const said = audit ? outboundSummary(audit) : [];
  const summary = narrow && audit && !audit.live ? [said.at(-1)!, 'Firewall not read: history only.'] : said;
  const notes = [...summary, 'Enter details  / search'].flatMap((l) => wrapLines(l, width));
  return (
    <ListScreen<Row>
      {...props}
      title="Outbound"
      load={load}
      state={list}
      refreshMs={10_000}
      haystack={(r) => `${r.who} ${r.destination} ${r.verdict}`}
      // The same destination from the same module: its verdict may change, and it stays selected.
      rowKey={(r) => `${r.who} ${r.destination}`}
      columns={narrow ? NARROW_COLUMNS : WIDE_COLUMNS}
      notes={() => notes}
      onKey={(_input, row, _reload, key) => {
        if (row && key.return) setShown(row);
      }}
    />
  );
}

/** One destination, every field on a line of its own (wrapped): q, Esc or Enter go back. */
function Destination(props: ScreenProps & { row: OutboundRow; onClose(): void }) {
  const { plain } = useTheme();
  const { row: r, width, onClose } = props;
  useInput((input, key) => {
    if (input === 'q' || key.escape || key.return) onClose();
  });
  const lines = [
    `Who: ${r.who}`,
    `Destination: ${r.destination}`,
    `Verdict: ${r.verdict}`,
    `Count: ${r.count} (packets)`,
    `First seen: ${r.firstSeen} UTC`,
    `Last seen: ${r.lastSeen} UTC`,
  ].flatMap((l) => wrapLines(l, width));
  return (
    <Box flexDirection="column">
      <Text bold={!plain} wrap="truncate">
        {`Outbound destination (${DETAIL_BACK})`}
      </Text>
      <ScrollLines lines={lines} height={Math.max(1, props.height - 1)} width={width} />
    </Box>
  );
}
