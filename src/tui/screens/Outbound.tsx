import { Box, Text } from 'ink';
import { useCallback, useState } from 'react';
import type { OutboundAudit } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { type OutboundRow, outboundRows, outboundSummary } from '../../present/outbound.js';
import { ListScreen } from '../components/ListScreen.js';
import type { ScreenProps } from '../screen.js';
import type { Maybe } from '../sources.js';
import { useTheme } from '../theme.js';

/**
 * Where the box talked to (issue 19): `blueprint audit outbound` as a list, blocked destinations
 * first. Each reading also adds the firewall's counters to the history on disk, as the command does.
 */
export function Outbound(props: ScreenProps) {
  const { sources } = props;
  const { plain } = useTheme();
  const [summary, setSummary] = useState<string[]>([]);
  const load = useCallback(async (): Promise<Maybe<OutboundRow[]>> => {
    if (!sources.outbound) return { available: false, reason: 'not available in this build' };
    const a: Maybe<OutboundAudit> = await sources.outbound();
    if (!a.available) return a;
    setSummary(outboundSummary(a.value));
    return { available: true, value: outboundRows(a.value, false) };
  }, [sources]);
  return (
    <ListScreen<OutboundRow>
      {...props}
      title="Outbound"
      load={load}
      refreshMs={10_000}
      haystack={(r) => `${r.who} ${r.destination} ${r.verdict}`}
      columns={[
        { header: 'Who', width: 10, get: (r) => r.who },
        { header: 'Destination', width: 22, get: (r) => r.destination },
        { header: 'Count', width: 6, get: (r) => r.count },
        { header: 'First (UTC)', width: 11, get: (r) => r.firstSeen },
        { header: 'Last (UTC)', width: 11, get: (r) => r.lastSeen },
        { header: 'Verdict', get: (r) => r.verdict },
      ]}
      footer={
        <Box flexDirection="column">
          {summary.map((l) => (
            <Text key={l} dimColor={!plain}>
              {escapeLine(l)}
            </Text>
          ))}
        </Box>
      }
    />
  );
}
