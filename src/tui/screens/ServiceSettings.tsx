import { Box, Text, useInput, useWindowSize } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { DETAIL_BACK } from '../../present/back-key.js';
import { escapeLine } from '../../present/escape.js';
import { reasonOf } from '../../present/reason.js';
import { settingChoices, settingsWarnings } from '../../present/settings.js';
import { TextInput } from '../components/TextInput.js';
import { moveSelection } from '../keys.js';
import type { SettingsShown } from '../sources.js';
import { useTheme } from '../theme.js';

/**
 * A module's settings on the console (`blueprint service config NAME`): each one's value, default,
 * what it allows and its description, in the CLI's words; Enter changes the chosen one (judged by
 * the function the CLI and the dashboard call: a refusal is said in its words, nothing written),
 * d puts it back to its default. An enum or a boolean is chosen among its values (←/→), anything
 * else typed. The list scrolls to keep the chosen one in view when they do not all fit. The answer
 * is the CLI's (when it applies). Every key, value and description comes from a package's manifest
 * or the admin's file: escaped (and by the sources).
 */
export function ServiceSettings(props: {
  name: string;
  height: number;
  load(name: string): Promise<SettingsShown>;
  change(name: string, change: { set?: Record<string, string>; unset?: string[] }): Promise<string[]>;
  onClose(): void;
}) {
  const { plain } = useTheme();
  const { name, load } = props;
  const [view, setView] = useState<SettingsShown | undefined>();
  const [at, setAt] = useState(0);
  const [editing, setEditing] = useState<string | undefined>();
  // The index of the value chosen among an enum's or a boolean's (instead of typing).
  const [choosing, setChoosing] = useState<number | undefined>();
  const top = useRef(0);
  const fitted = useRef(1); // settings shown at once, the page PgUp/PgDn move
  const { columns } = useWindowSize();
  const [note, setNote] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const reload = () =>
    load(name).then(setView, (err: unknown) => setNote([`settings of ${name}: ${reasonOf(err)}`]));
  // biome-ignore lint/correctness/useExhaustiveDependencies: loaded once per service shown
  useEffect(() => void reload(), [name]);
  const rows = view?.settings ?? [];
  const row = rows[Math.min(at, rows.length - 1)];
  const choices = row ? settingChoices(row) : undefined;
  const apply = async (change: { set?: Record<string, string>; unset?: string[] }) => {
    setEditing(undefined);
    setChoosing(undefined);
    setBusy(true);
    try {
      setNote(await props.change(name, change));
    } catch (err) {
      setNote([reasonOf(err)]);
    } finally {
      setBusy(false);
      await reload();
    }
  };
  useInput(
    (input, key) => {
      if (input === 'q' || key.escape) return props.onClose();
      if (busy || !row) return;
      const moved = moveSelection(input, key, at, rows.length, fitted.current);
      if (moved !== undefined) return setAt(moved);
      if (key.return && choices) setChoosing(Math.max(0, choices.indexOf(row.effective ?? '')));
      else if (key.return) setEditing(row.value ?? '');
      if (input === 'd') void apply({ unset: [row.key] });
    },
    { isActive: editing === undefined && choosing === undefined },
  );
  useInput(
    (input, key) => {
      if (choosing === undefined || !row || !choices?.length) return;
      if (key.escape) setChoosing(undefined);
      else if (key.leftArrow || input === 'h') setChoosing(Math.max(choosing - 1, 0));
      else if (key.rightArrow || input === 'l') setChoosing(Math.min(choosing + 1, choices.length - 1));
      else if (key.return) void apply({ set: { [row.key]: choices[choosing] ?? '' } });
    },
    { isActive: choosing !== undefined },
  );
  const warned = view ? settingsWarnings(view) : [];
  // Rows a line takes at this width (the answer's lines wrap; the rest are cut at the edge).
  const wrapped = (l: string) => Math.max(1, Math.ceil(l.length / columns));
  const prompt =
    row && editing !== undefined
      ? `${escapeLine(row.key)} (${escapeLine(row.allowed)}; Enter sets, Esc cancels): ${editing}`
      : undefined;
  const choice =
    row && choices && choosing !== undefined
      ? `${escapeLine(row.key)}: ${choices.map((c, i) => (i === choosing ? `[${escapeLine(c)}]` : escapeLine(c))).join('  ')}  (←/→ choose, Enter sets, Esc cancels)`
      : undefined;
  // Each setting takes two lines; what is left of the screen after the title, the warnings, the
  // prompt and the answer shows as many as fit, with a line above and below saying how many more
  // ('↑ N more', '↓ N more', as ScrollLines says it).
  const room =
    props.height -
    1 -
    warned.length -
    (prompt ? wrapped(prompt) : 0) -
    (choice ? wrapped(choice) : 0) -
    note.reduce((n, l) => n + wrapped(l), 0);
  const fit = rows.length * 2 <= room ? rows.length : Math.max(1, Math.floor((room - 2) / 2));
  let first = Math.min(top.current, Math.max(0, rows.length - fit));
  if (at < first) first = at;
  else if (at >= first + fit) first = at - fit + 1;
  top.current = first;
  fitted.current = fit;
  const shown = rows.slice(first, first + fit);
  const scrolls = fit < rows.length;
  return (
    <Box flexDirection="column">
      <Text bold={!plain} wrap="truncate">
        {`Settings of ${escapeLine(name)} (j/k choose, Enter change, d default, ${DETAIL_BACK})`}
      </Text>
      {!view ? <Text>{note.length ? '' : 'Reading…'}</Text> : null}
      {view && !rows.length && !view.stale.length ? (
        <Text>{`${escapeLine(name)} declares no settings (its manifest's service.settings).`}</Text>
      ) : null}
      {scrolls ? <Text dimColor={!plain}>{first ? `  ↑ ${first} more` : ' '}</Text> : null}
      {shown.map((s, i) => (
        <Box key={s.key} flexDirection="column">
          <Text wrap="truncate">
            {`${first + i === at ? '>' : ' '} ${escapeLine(s.key)} = ${s.value === undefined ? `${s.default === undefined ? '(unset)' : escapeLine(s.default)} (default)` : escapeLine(s.value)}  default ${s.default === undefined ? '(unset)' : escapeLine(s.default)}; ${escapeLine(s.allowed)}`}
          </Text>
          <Text dimColor={!plain} wrap="truncate">{`    ${escapeLine(s.description)}`}</Text>
        </Box>
      ))}
      {scrolls ? (
        <Text dimColor={!plain}>
          {first + fit < rows.length ? `  ↓ ${rows.length - first - fit} more` : ' '}
        </Text>
      ) : null}
      {warned.map((w) => (
        <Text key={w} wrap="truncate">
          {w}
        </Text>
      ))}
      {editing !== undefined && row ? (
        <Text>
          {`${escapeLine(row.key)} (${escapeLine(row.allowed)}; Enter sets, Esc cancels): `}
          <TextInput
            value={editing}
            onChange={setEditing}
            onSubmit={(v) => void apply({ set: { [row.key]: v } })}
            onCancel={() => setEditing(undefined)}
          />
        </Text>
      ) : null}
      {choice ? <Text wrap="truncate">{choice}</Text> : null}
      {note.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the answer's lines, in order
        <Text key={i}>{escapeLine(l)}</Text>
      ))}
    </Box>
  );
}
