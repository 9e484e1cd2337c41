import { Box, Text, useApp, useInput } from 'ink';

export function App({ root }: { root: string }) {
  const { exit } = useApp();
  useInput((input, key) => {
    if (input === 'q' || key.escape) exit();
  });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>BlueprintOS</Text>
      <Text>Root: {root}</Text>
      <Text dimColor>q quit</Text>
    </Box>
  );
}
