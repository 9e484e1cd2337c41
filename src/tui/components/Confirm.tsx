import { Box, Text, useInput } from 'ink';
import { escapeLine } from '../../present/escape.js';
import { useTheme } from '../theme.js';
import { ScrollLines, wrapLines } from './ScrollLines.js';

/**
 * A yes/no question; nothing happens until the answer is y (Enter is not yes). Lines are shown
 * escaped, each wrapped to the width; more of them than the screen has room for scroll between the
 * title and the question (ScrollLines: j/k, arrows, PgUp/PgDn, g/G), which stay on the screen.
 */
export function Confirm(props: {
  title: string;
  lines: string[];
  /** The rows and columns the dialog may take (the screen's body). */
  height: number;
  width: number;
  onAnswer(yes: boolean): void;
}) {
  const { plain } = useTheme();
  useInput((input, key) => {
    if (input === 'y' || input === 'Y') props.onAnswer(true);
    else if (input === 'n' || input === 'N' || key.escape || input === 'q') props.onAnswer(false);
  });
  // The border (not in the plain theme) takes a row above and below and a column each side; the
  // padding a column each side.
  const frame = plain ? 0 : 2;
  const inner = Math.max(10, props.width - frame - 2);
  // A line keeps its indent (a plan's lines are indented under the sentence that brings them); its
  // further rows are indented two more.
  const rows = props.lines.flatMap((l) => {
    const text = escapeLine(l);
    const indent = /^ */.exec(text)?.[0] ?? '';
    const [first = '', ...rest] = wrapLines(
      text.slice(indent.length),
      Math.max(1, inner - indent.length - 2),
    );
    return [indent + first, ...rest.map((r) => `${indent}  ${r}`)];
  });
  return (
    <Box flexDirection="column" borderStyle={plain ? undefined : 'round'} paddingX={1} flexShrink={0}>
      <Text bold={!plain} wrap="truncate">
        {escapeLine(props.title)}
      </Text>
      <ScrollLines lines={rows} height={Math.max(3, props.height - frame - 2)} width={inner} />
      <Text>y yes, n no</Text>
    </Box>
  );
}
