import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { DETAIL_BACK } from '../../present/back-key.js';
import { shownHint } from '../../present/root-in-hints.js';
import { ListScreen, useListState } from '../components/ListScreen.js';
import { ScrollLines, wrapLines } from '../components/ScrollLines.js';
import type { Column } from '../components/Table.js';
import type { ScreenProps } from '../screen.js';
import type { KeyRow } from '../sources.js';
import { useTheme } from '../theme.js';

const spaced = (fp: string) => fp.replace(/(.{4})/g, '$1 ').trim();
const signsFor = (k: KeyRow) =>
  k.revoked ? 'REVOKED: nothing' : k.repositories.length ? k.repositories.join(', ') : 'none';

/**
 * Narrower than this, a key's row is its fingerprint's last 16 digits (its long key ID) and what it
 * signs for: the spaced fingerprint takes 50 columns, and at 40 it showed 12 digits (CONSOLE3's
 * walk). Enter shows the whole fingerprint, at every width.
 */
const NARROW = 60;

const WIDE_COLUMNS: Column<KeyRow>[] = [
  { header: 'Fingerprint', width: 50, get: (k) => spaced(k.fingerprint) },
  // Said here, not after the user IDs: the last column is cut to the terminal's width.
  { header: 'Signs for', width: 20, get: signsFor },
  { header: 'Signer', get: (k) => k.name },
];

const NARROW_COLUMNS: Column<KeyRow>[] = [
  { header: 'Key ID', width: 19, get: (k) => spaced(k.fingerprint.slice(-16)) },
  { header: 'Signs for', get: signsFor },
];

// Trust is scoped: a key signs only the repositories bound to it, so the screen says which.
// Keys are added and removed from the shell (a key file has to be checked against a fingerprint
// read from somewhere else), so the notes name those commands rather than offering keys here;
// notes, not a footer, so that their rows are counted (a footer's ran over the list at 40×12).
export function Keys(props: ScreenProps) {
  const { setCapture } = props;
  const [shown, setShown] = useState<KeyRow | undefined>();
  // The filter and the selected key outlive the key's view.
  const list = useListState();
  useEffect(() => setCapture(shown !== undefined), [shown, setCapture]);
  if (shown) return <KeyView {...props} row={shown} onClose={() => setShown(undefined)} />;
  return (
    <ListScreen<KeyRow>
      {...props}
      title="Trusted signing keys"
      load={props.sources.keys}
      state={list}
      rowKey={(k) => k.fingerprint}
      haystack={(k) => `${k.fingerprint} ${k.name} ${k.repositories.join(' ')}${k.revoked ? ' revoked' : ''}`}
      columns={props.width < NARROW ? NARROW_COLUMNS : WIDE_COLUMNS}
      onKey={(_input, row, _reload, key) => {
        if (row && key.return) setShown(row);
      }}
      // With the console's --root, as the CLI's hints: pasted, they act on this box.
      notes={() => [
        'Enter: whole fingerprint, signer',
        shownHint('Add: `bpkg key add FILE --fingerprint FPR`, then `bpkg repo add NAME URL --key FPR`'),
        shownHint('Remove: `bpkg key remove FPR`'),
      ]}
    />
  );
}

/** One key: its whole fingerprint, what it signs for and its signer, wrapped; q, Esc or Enter go back. */
function KeyView(props: ScreenProps & { row: KeyRow; onClose(): void }) {
  const { plain } = useTheme();
  const { row: k, width, onClose } = props;
  useInput((input, key) => {
    if (input === 'q' || key.escape || key.return) onClose();
  });
  const lines = [
    'Fingerprint:',
    ...wrapLines(spaced(k.fingerprint), width - 2).map((l) => `  ${l}`),
    ...wrapLines(`Signs for: ${signsFor(k)}`, width),
    ...wrapLines(`Signer: ${k.name}`, width),
  ];
  return (
    <Box flexDirection="column">
      <Text bold={!plain} wrap="truncate">
        {`Trusted signing key (${DETAIL_BACK})`}
      </Text>
      <ScrollLines lines={lines} height={Math.max(1, props.height - 1)} width={width} />
    </Box>
  );
}
