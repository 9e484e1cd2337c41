import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { errorBlock, escapeLine } from '../../present/escape.js';
import { useTheme } from '../theme.js';
import { useLines } from '../useLines.js';

/**
 * Runs one long operation with its progress lines on screen. The screen stays responsive; Ctrl-C
 * is handled by the App, which aborts `signal` and waits for the operation to return.
 */
export function Operation(props: {
  title: string;
  run(progress: (line: string) => void): Promise<void>;
  setBusy(on: boolean): void;
  height: number;
  onClose(): void;
}) {
  const { plain } = useTheme();
  const [lines, addLine] = useLines();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string } | undefined>();
  const { run, setBusy } = props;
  useEffect(() => {
    setBusy(true);
    run(addLine)
      .then(
        () => setOutcome({ ok: true, message: 'Done.' }),
        (err: Error & { hint?: string }) =>
          // As the CLI prints an error (errorBlock): a further line of it is indented, so none of
          // it (a tool's output, a server's answer) can pass for the screen's own 'Done.' or hint.
          setOutcome({
            ok: false,
            message: `${errorBlock(err.message)}${err.hint ? `\nhint: ${errorBlock(err.hint)}` : ''}`,
          }),
      )
      .finally(() => setBusy(false));
  }, [run, setBusy, addLine]);
  useInput(() => {
    if (outcome) props.onClose();
  });
  return (
    <Box flexDirection="column">
      <Text bold={!plain}>{escapeLine(props.title)}</Text>
      {lines.slice(-Math.max(1, props.height - 4)).map((l) => (
        <Text key={l.id} wrap="truncate">{`  ${escapeLine(l.text)}`}</Text>
      ))}
      {outcome ? (
        <>
          <Text color={plain ? undefined : outcome.ok ? 'green' : 'red'}>{outcome.message}</Text>
          <Text>Press any key.</Text>
        </>
      ) : (
        <Text>Working...</Text>
      )}
    </Box>
  );
}
