import { Box, Text } from 'ink';
import { useState } from 'react';
import { RECOVERY_WARNING } from '../../present/encryption.js';
import { escapeLine } from '../../present/escape.js';
import { recoveryKeyQr } from '../../present/recovery-qr.js';
import { TextInput } from '../components/TextInput.js';
import { useTheme } from '../theme.js';

/**
 * The data partition's recovery key after the wizard encrypted it (issue 23): shown this once,
 * with the warning; `qr` switches to a QR code for a phone (it does not fit a 24-line console
 * beside the text). The wizard ends only when the admin types "saved".
 */
export function SetupRecoveryKey(props: { recoveryKey: string; width: number; onAck(): void }) {
  const { plain } = useTheme();
  const [value, setValue] = useState('');
  const [qr, setQr] = useState(false);
  const [error, setError] = useState('');
  const submit = (v: string) => {
    const word = v.trim().toLowerCase();
    setValue('');
    if (word === 'qr' || word === 'key') return setQr(word === 'qr');
    if (word === 'saved') return props.onAck();
    setError('Type saved once the key is kept somewhere safe (or qr / key to switch the view).');
  };
  const input = (
    <TextInput
      value={value}
      onChange={(v) => {
        setValue(v);
        setError('');
      }}
      onSubmit={submit}
    />
  );
  // The QR view is the code and one line: it fills a 24-line console.
  if (qr)
    return (
      <Box flexDirection="column">
        <Text>{recoveryKeyQr(props.recoveryKey).join('\n')}</Text>
        <Box>
          <Text>{'Scan it. key: text view; saved: done > '}</Text>
          {input}
        </Box>
      </Box>
    );
  // The key and its prompt never give way to a short screen (a 40x12 serial line), nor is the key
  // cut inside a group: squeezed, its rows were painted over each other and a group was lost
  // (QA14). The warning is what gives way there.
  return (
    <Box flexDirection="column">
      <Box flexDirection="column" flexShrink={0}>
        <Text bold={!plain}>Recovery key for the data partition (shown once)</Text>
        <Text> </Text>
        {keyRows(escapeLine(props.recoveryKey), props.width - 2).map((row) => (
          <Text key={row} bold={!plain}>{`  ${row}`}</Text>
        ))}
        <Text> </Text>
      </Box>
      <Box flexDirection="column" flexShrink={1} overflow="hidden">
        {[...RECOVERY_WARNING, 'qr: show it as a QR code for a phone.'].map((l, i) => (
          <Box key={l} flexShrink={0}>
            <Text color={plain || i === RECOVERY_WARNING.length ? undefined : 'yellow'}>{l}</Text>
          </Box>
        ))}
      </Box>
      <Box flexDirection="column" flexShrink={0}>
        <Box>
          <Text>{'Type saved when it is kept safe > '}</Text>
          {input}
        </Box>
        {error ? <Text color={plain ? undefined : 'red'}>{`! ${error}`}</Text> : null}
      </Box>
    </Box>
  );
}

/** The key in rows of whole groups that fit `width`, each row but the last ending in its dash. */
function keyRows(key: string, width: number): string[] {
  const groups = key.split('-');
  const rows: string[] = [];
  let row = '';
  for (const g of groups) {
    const next = row ? `${row}-${g}` : g;
    if (row && next.length + 1 > width) {
      rows.push(`${row}-`);
      row = g;
    } else row = next;
  }
  return [...rows, row];
}
