/**
 * The wizard's summary (Setup.tsx): every change setup would write and what blocks the plan, whole
 * (wrapped), in a view that scrolls between the heading and the question, which stay on the screen
 * (the console may be 80×24). Setup reads its keys (y apply, n/Esc back).
 */
import { Box, Text } from 'ink';
import type { Draft, SetupPlan } from '../../app/index.js';
import { formatChange } from '../../present/setup.js';
import { type ScrollLine, ScrollLines, wrapLines } from '../components/ScrollLines.js';
import { fitCell } from '../components/Table.js';
import { shownLine } from '../escaped-sources.js';
import { textWidth } from '../text-width.js';
import { useTheme } from '../theme.js';

export function SetupSummary(props: { plan: SetupPlan; draft: Draft; width: number; height: number }) {
  const { plain } = useTheme();
  const { plan, draft } = props;
  const todo = plan.changes.filter((c) => c.action !== 'unchanged');
  const lines: ScrollLine[] = [
    ...blockedRows(plan.blocked, props.width),
    ...todo.flatMap((c) => wrapIndented(shownLine(formatChange(c)), props.width).map((text) => ({ text }))),
  ];
  // With SSH off the console password is the admin's way in: said with it (QA18). One line where it
  // fits; on the 80-column console the key's fingerprint leaves no room, so SSH gets its own line
  // rather than being cut at the edge.
  const admin = `Admin ${draft.admin}, key ${draft.keyFingerprint}`;
  const ssh = draft.ssh ? 'SSH on' : `SSH off${draft.consolePasswordHash ? ', console password set' : ''}`;
  const oneLine = textWidth(`${admin}; ${ssh}`) <= props.width;
  const heading = (draft.modules.length ? 3 : 2) + (oneLine ? 0 : 1);
  return (
    <Box flexDirection="column">
      <Text bold={!plain} wrap="truncate">{`Summary: ${todo.length} change(s) under ${plan.root}`}</Text>
      <Text wrap="truncate">{oneLine ? `${admin}; ${ssh}` : admin}</Text>
      {oneLine ? null : <Text wrap="truncate">{ssh}</Text>}
      {draft.modules.length ? (
        <Text>{fitCell(`Modules: ${draft.modules.join(', ')}`, props.width)}</Text>
      ) : null}
      <ScrollLines lines={lines} height={Math.max(3, props.height - heading - 1)} width={props.width} />
      <Text bold={!plain} wrap="truncate">
        {plan.blocked.length ? 'Esc: back' : 'Apply these changes? y apply, n/Esc back'}
      </Text>
    </Box>
  );
}

/** `text` in rows of `width`, the rows after the first indented under it. */
function wrapIndented(text: string, width: number, indent = '      '): string[] {
  const first = wrapLines(text, width)[0] ?? '';
  const rest = text.slice(first.length).trimStart();
  return rest ? [first, ...wrapLines(rest, width - indent.length).map((l) => indent + l)] : [first];
}

/**
 * Why the plan cannot be applied, one reason each, wrapped to `width` (a reason may quote a file's
 * name or an error: escaped, so a line break in it cannot start a line of its own).
 */
export function blockedRows(blocked: string[], width: number): ScrollLine[] {
  return blocked.flatMap((b) =>
    wrapIndented(`Cannot apply: ${shownLine(b)}`, width).map((text) => ({ text, color: 'red' })),
  );
}

/** The reasons as the summary shows them. */
export function BlockedLines(props: { blocked: string[]; plain: boolean; width?: number }) {
  return (
    <>
      {blockedRows(props.blocked, props.width ?? 78).map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows of one reason may repeat
        <Text key={i} color={props.plain ? undefined : r.color}>
          {r.text}
        </Text>
      ))}
    </>
  );
}
