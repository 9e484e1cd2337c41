import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { escapeLine } from '../../present/escape.js';
import { reasonOf } from '../../present/reason.js';
import { settingsWarnings } from '../../present/settings.js';
import { TextInput } from '../components/TextInput.js';
import type { SettingsShown } from '../sources.js';
import { useTheme } from '../theme.js';

/**
 * A module's settings on the console (`blueprint service config NAME`): each one's value, default,
 * what it allows and its description, in the CLI's words; Enter changes the chosen one (judged by
 * the function the CLI and the dashboard call: a refusal is said in its words, nothing written),
 * d puts it back to its default. The answer is the CLI's (when it applies). Every key, value and
 * description comes from a package's manifest or the admin's file: escaped (and by the sources).
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
  const [note, setNote] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const reload = () =>
    load(name).then(setView, (err: unknown) => setNote([`settings of ${name}: ${reasonOf(err)}`]));
  // biome-ignore lint/correctness/useExhaustiveDependencies: loaded once per service shown
  useEffect(() => void reload(), [name]);
  const rows = view?.settings ?? [];
  const row = rows[Math.min(at, rows.length - 1)];
  const apply = async (change: { set?: Record<string, string>; unset?: string[] }) => {
    setEditing(undefined);
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
      if (input === 'j' || key.downArrow) setAt(Math.min(at + 1, rows.length - 1));
      if (input === 'k' || key.upArrow) setAt(Math.max(at - 1, 0));
      if (key.return) setEditing(row.value ?? '');
      if (input === 'd') void apply({ unset: [row.key] });
    },
    { isActive: editing === undefined },
  );
  const warned = view ? settingsWarnings(view) : [];
  return (
    <Box flexDirection="column">
      <Text bold={!plain} wrap="truncate">
        {`Settings of ${escapeLine(name)} (j/k choose, Enter change, d default, q back)`}
      </Text>
      {!view ? <Text>{note.length ? '' : 'Reading…'}</Text> : null}
      {view && !rows.length && !view.stale.length ? (
        <Text>{`${escapeLine(name)} declares no settings (its manifest's service.settings).`}</Text>
      ) : null}
      {rows.map((s, i) => (
        <Box key={s.key} flexDirection="column">
          <Text wrap="truncate">
            {`${i === at ? '>' : ' '} ${escapeLine(s.key)} = ${s.value === undefined ? `${s.default === undefined ? '(unset)' : escapeLine(s.default)} (default)` : escapeLine(s.value)}  default ${s.default === undefined ? '(unset)' : escapeLine(s.default)}; ${escapeLine(s.allowed)}`}
          </Text>
          <Text dimColor={!plain} wrap="truncate">{`    ${escapeLine(s.description)}`}</Text>
        </Box>
      ))}
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
      {note.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the answer's lines, in order
        <Text key={i}>{escapeLine(l)}</Text>
      ))}
    </Box>
  );
}
