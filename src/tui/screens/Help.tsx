import { Box, Text } from 'ink';
import { GLOBAL_KEYS, LOGIN_KEYS, SCREEN_KEYS } from '../keys.js';
import { useTheme } from '../theme.js';

export function Help(props: { screen: string; login: boolean }) {
  const { plain } = useTheme();
  const section = (title: string, keys: [string, string][]) =>
    keys.length ? (
      <Box flexDirection="column" marginBottom={1}>
        <Text bold={!plain}>{title}</Text>
        {keys.map(([k, what]) => (
          <Text key={k}>{`  ${k.padEnd(16)} ${what}`}</Text>
        ))}
      </Box>
    ) : null;
  return (
    <Box flexDirection="column">
      {section('Everywhere', [...GLOBAL_KEYS, ...(props.login ? LOGIN_KEYS : [])])}
      {section(`On this screen (${props.screen})`, SCREEN_KEYS[props.screen] ?? [])}
      <Text dimColor={!plain}>
        Every action here is also a command: see `blueprint --help`. ? or q closes.
      </Text>
    </Box>
  );
}
