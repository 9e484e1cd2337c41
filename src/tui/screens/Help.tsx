import { Box, Text } from 'ink';
import { type ScrollLine, ScrollLines, wrapLines } from '../components/ScrollLines.js';
import { GLOBAL_KEYS, LOGIN_KEYS, SCREEN_KEYS } from '../keys.js';
import { useTheme } from '../theme.js';

/** Where the descriptions start: two spaces, the key's column, a space. */
const KEY_COLUMN = 16;
const INDENT = ' '.repeat(2 + KEY_COLUMN + 1);

/**
 * The keys, everywhere and on this screen. A description wider than the screen wraps under the
 * descriptions' column; help longer than the screen (the 80×24 console) scrolls as other text does
 * (ScrollLines), its closing line always shown.
 */
export function Help(props: {
  screen: string;
  login: boolean;
  width: number;
  height: number;
  /** Sections in place of the console's (the wizard's: its fields take '?' and q), and how it closes. */
  sections?: [string, [string, string][]][];
  closes?: string;
}) {
  const { plain } = useTheme();
  const section = (title: string, keys: [string, string][]): ScrollLine[] =>
    keys.length
      ? [
          { text: title },
          ...keys.flatMap(([k, what]) =>
            wrapLines(what, Math.max(10, props.width - INDENT.length)).map((l, i) => ({
              text: i ? `${INDENT}${l}` : `  ${k.padEnd(KEY_COLUMN)} ${l}`,
            })),
          ),
          { text: '' },
        ]
      : [];
  const lines = props.sections
    ? props.sections.flatMap(([title, keys]) => section(title, keys))
    : [
        ...section('Everywhere', [...GLOBAL_KEYS, ...(props.login ? LOGIN_KEYS : [])]),
        ...section(`On this screen (${props.screen})`, SCREEN_KEYS[props.screen] ?? []),
      ];
  // Wrapped, and its rows given up by the keys above: cut, a 40-column console lost '? or q closes' (QA25).
  const closing = wrapLines(
    props.closes ?? 'Every action here is also a command: see `blueprint --help`. ? or q closes.',
    props.width,
  );
  return (
    <Box flexDirection="column">
      <ScrollLines lines={lines} height={Math.max(3, props.height - closing.length)} width={props.width} />
      {closing.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the line is its identity
        <Text key={i} dimColor={!plain} wrap="truncate">
          {l}
        </Text>
      ))}
    </Box>
  );
}
