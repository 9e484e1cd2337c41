import { Box, Text } from 'ink';
import { shownHint } from '../../present/root-in-hints.js';
import { ListScreen } from '../components/ListScreen.js';
import type { ScreenProps } from '../screen.js';
import type { KeyRow } from '../sources.js';
import { useTheme } from '../theme.js';

const spaced = (fp: string) => fp.replace(/(.{4})/g, '$1 ').trim();

// Trust is scoped: a key signs only the repositories bound to it, so the screen says which.
// Keys are added and removed from the shell (a key file has to be checked against a fingerprint
// read from somewhere else), so the footer names those commands rather than offering keys here.
export function Keys(props: ScreenProps) {
  const { plain } = useTheme();
  return (
    <ListScreen<KeyRow>
      {...props}
      title="Trusted signing keys"
      load={props.sources.keys}
      haystack={(k) => `${k.fingerprint} ${k.name} ${k.repositories.join(' ')}${k.revoked ? ' revoked' : ''}`}
      columns={[
        { header: 'Fingerprint', width: 50, get: (k) => spaced(k.fingerprint) },
        {
          // Said here, not after the user IDs: the last column is cut to the terminal's width.
          header: 'Signs for',
          width: 20,
          get: (k) =>
            k.revoked ? 'REVOKED: nothing' : k.repositories.length ? k.repositories.join(', ') : 'none',
        },
        { header: 'Signer', get: (k) => k.name },
      ]}
      footer={
        <Box flexDirection="column">
          {/* With the console's --root, as the CLI's hints: pasted, they act on this box. */}
          <Text dimColor={!plain}>
            {shownHint('Add: `bpkg key add FILE --fingerprint FPR`, then `bpkg repo add NAME URL --key FPR`')}
          </Text>
          <Text dimColor={!plain}>{shownHint('Remove: `bpkg key remove FPR`')}</Text>
        </Box>
      }
    />
  );
}
