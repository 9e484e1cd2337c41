import { Box, Text, useInput } from 'ink';
import { escapeLine } from '../../present/escape.js';
import { useTheme } from '../theme.js';

/** A yes/no question; nothing happens until the answer is y (Enter is not yes). Lines are shown escaped. */
export function Confirm(props: { title: string; lines: string[]; onAnswer(yes: boolean): void }) {
  const { plain } = useTheme();
  useInput((input, key) => {
    if (input === 'y' || input === 'Y') props.onAnswer(true);
    else if (input === 'n' || input === 'N' || key.escape || input === 'q') props.onAnswer(false);
  });
  return (
    <Box flexDirection="column" borderStyle={plain ? undefined : 'round'} paddingX={1}>
      <Text bold={!plain}>{escapeLine(props.title)}</Text>
      {props.lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the lines are fixed for the dialog's life
        <Text key={i}>{escapeLine(l)}</Text>
      ))}
      <Text>y yes, n no</Text>
    </Box>
  );
}
