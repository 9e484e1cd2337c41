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
export function SetupRecoveryKey(props: { recoveryKey: string; onAck(): void }) {
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
  return (
    <Box flexDirection="column">
      <Text bold={!plain}>Recovery key for the data partition (shown once)</Text>
      <Text> </Text>
      <Text bold={!plain}>{`  ${escapeLine(props.recoveryKey)}`}</Text>
      <Text> </Text>
      {RECOVERY_WARNING.map((l) => (
        <Text key={l} color={plain ? undefined : 'yellow'}>
          {l}
        </Text>
      ))}
      <Text>qr: show it as a QR code for a phone.</Text>
      <Box>
        <Text>{'Type saved when it is kept safe > '}</Text>
        {input}
      </Box>
      {error ? <Text color={plain ? undefined : 'red'}>{`! ${error}`}</Text> : null}
    </Box>
  );
}
