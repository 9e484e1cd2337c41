import { Box, Text, useInput } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import { DETAIL_BACK } from '../../present/back-key.js';
import { escapeLine } from '../../present/escape.js';
import { ratingShort } from '../../present/rating.js';
import { reasonOf } from '../../present/reason.js';
import { shownHint } from '../../present/root-in-hints.js';
import { ListScreen, useListState } from '../components/ListScreen.js';
import { ScrollLines, wrapLines } from '../components/ScrollLines.js';
import type { Column } from '../components/Table.js';
import type { ScreenProps } from '../screen.js';
import type { ServiceRow } from '../sources.js';
import { useTheme } from '../theme.js';
import { useLines } from '../useLines.js';
import { expandTabs, wrapWidth } from '../wrap-width.js';
import { ServiceSettings } from './ServiceSettings.js';

type Mode =
  | { kind: 'list' }
  | { kind: 'logs'; name: string }
  | { kind: 'inspect'; name: string; lines: string[] }
  | { kind: 'settings'; name: string };

function Logs(props: ScreenProps & { name: string; onClose(): void }) {
  const { plain } = useTheme();
  const [lines, addLine] = useLines();
  const [error, setError] = useState('');
  // Why no line came yet: the engine does not answer (said until it does).
  const [waiting, setWaiting] = useState<string | undefined>();
  const { sources, name } = props;
  useEffect(() => {
    const stop = new AbortController();
    // With its hint, as the CLI and the dashboard say it (what to do next).
    sources
      .followLogs?.(name, addLine, stop.signal, (w) => stop.signal.aborted || setWaiting(w))
      .catch((err: unknown) => setError(reasonOf(err)));
    return () => stop.abort();
  }, [sources, name, addLine]);
  const [following, setFollowing] = useState(true);
  useInput((input, key) => {
    if (input === 'q' || key.escape || input === 'l') props.onClose();
  });
  // What to do next is read whole: the error wraps, in rows the log gives up.
  const said = error || waiting;
  const errorRows = said ? wrapLines(escapeLine(said), props.width) : [];
  // Each log line wrapped to the screen's width, as a terminal shows it (cut, a 40-column serial
  // line showed a timestamp and 8 characters of each), escaped first: a container's text never
  // reaches the terminal as it is, and rows counted here are the rows painted. It scrolls as the
  // console's other text does (QA25: it could not be read back), by row.
  const { width } = props;
  const rows = useMemo(
    () => lines.flatMap((l) => wrapWidth(escapeLine(expandTabs(l.text.replace(/\r$/, ''))), width)),
    [lines, width],
  );
  // Wrapped: the view's keys are said only here (its help is not offered), and 40 columns cut them.
  const title = wrapLines(
    `Logs of ${name} (${following ? 'following' : 'paused: G follows'}; j/k, PgUp/PgDn, g/G scroll; ${DETAIL_BACK})`,
    width,
  );
  return (
    <Box flexDirection="column">
      {title.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the title is its identity
        <Text key={i} bold={!plain} wrap="truncate">
          {l}
        </Text>
      ))}
      <ScrollLines
        lines={rows}
        height={Math.max(1, props.height - title.length - errorRows.length)}
        width={props.width}
        start="end"
        follow
        onAtEnd={setFollowing}
      />
      {errorRows.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the error is its identity
        <Text key={i} wrap="truncate">
          {l}
        </Text>
      ))}
    </Box>
  );
}

/**
 * Narrower than this, the list keeps the name and the state: four columns in 38 cut every name to
 * its first 8 characters (`bpt-nar…` for each of seven services) and `not created` to `not cre…`.
 * The rating and the detail are Enter's (inspect).
 */
const NARROW = 60;

const WIDE_COLUMNS: Column<ServiceRow>[] = [
  { header: 'Service', width: 22, get: (s) => s.name },
  { header: 'State', width: 12, get: (s) => s.state },
  // Every service runs in the sandbox: its security rating says how tight (Enter: point by point).
  {
    header: 'Security',
    width: 10,
    get: (s) => (s.damaged ? '-' : s.rating ? ratingShort(s.rating) : s.sandboxed ? 'sandboxed' : 'NO'),
  },
  { header: 'Detail', get: (s) => s.detail },
];

const NARROW_COLUMNS: Column<ServiceRow>[] = [
  { header: 'Service', get: (s) => s.name },
  { header: 'State', width: 11, get: (s) => s.state },
];

export function Services(props: ScreenProps) {
  const { sources } = props;
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState('');
  // The filter and the selected service outlive the logs, inspect and settings views.
  const list = useListState();
  const { setCapture } = props;
  // A dialog, a log view or an operation owns the keyboard: q and Esc close it, not the screen.
  useEffect(() => setCapture(mode.kind !== 'list'), [mode.kind, setCapture]);
  if (mode.kind === 'logs')
    return <Logs {...props} name={mode.name} onClose={() => setMode({ kind: 'list' })} />;
  if (mode.kind === 'inspect')
    return (
      <InspectView
        lines={mode.lines}
        name={mode.name}
        height={props.height}
        width={props.width}
        onClose={() => setMode({ kind: 'list' })}
      />
    );
  if (mode.kind === 'settings' && sources.settings && sources.configure)
    return (
      <ServiceSettings
        name={mode.name}
        height={props.height}
        load={sources.settings}
        change={sources.configure}
        onClose={() => setMode({ kind: 'list' })}
      />
    );
  const act = async (action: 'start' | 'stop' | 'restart', name: string, reload: () => void) => {
    setNote(`${action} ${name}...`);
    props.setBusy(true);
    try {
      // Its commands with the console's --root, as reasonOf gives an error's (root-in-hints.ts).
      // One call to the engine, no steps of its own to finish: Ctrl-C (the signal) stops waiting for
      // it, so an engine that never answers does not keep the console at 'Stopping...' (QA25).
      const { signal } = props;
      let onAbort = () => {};
      const stopped = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error('stopped waiting (Ctrl-C)'));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        setNote(shownHint((await Promise.race([sources.serviceAction!(action, name), stopped])).join('; ')));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      setNote(`${action} ${name}: ${reasonOf(err)}`);
    } finally {
      props.setBusy(false);
      reload();
    }
  };
  return (
    <ListScreen<ServiceRow>
      {...props}
      title="Services"
      load={sources.services}
      refreshMs={2000}
      haystack={(s) => `${s.name} ${s.state}`}
      rowKey={(s) => s.name}
      empty="No services: a module's package installs one (2 Packages, i), then s starts it here."
      // A damaged registration: what is wrong and the fix, as `blueprint service list` says below its table.
      notes={(rows) =>
        rows.flatMap((s) =>
          s.runningLimits
            ? // What a restart changes (MEMADMIT), in the CLI's words: R applies it.
              [s.runningLimits]
            : s.damaged
              ? // One line each: the message may quote the file's text (the JSON parser's words).
                [
                  `${s.name}: ${escapeLine(s.damaged.message)}`,
                  ...(s.damaged.hint ? [`  hint: ${escapeLine(shownHint(s.damaged.hint))}`] : []),
                ]
              : [],
        )
      }
      columns={props.width < NARROW ? NARROW_COLUMNS : WIDE_COLUMNS}
      onKey={(input, row, reload, key) => {
        // A key the key line offers, on an empty list: said, not ignored as if unread.
        if (!row)
          return ['s', 'S', 'R', 'l', 'c'].includes(input) || key.return
            ? setNote(
                list.query
                  ? 'No service selected: nothing matches the filter (/ then Esc clears it).'
                  : 'No service selected: none is installed (2 Packages installs a module).',
              )
            : undefined;
        if (!sources.serviceAction) return setNote('Service actions: not available yet in this build.');
        if (input === 's') void act('start', row.name, reload);
        if (input === 'S') void act('stop', row.name, reload);
        if (input === 'R') void act('restart', row.name, reload);
        if (input === 'l') setMode({ kind: 'logs', name: row.name });
        if (input === 'c' && sources.settings) setMode({ kind: 'settings', name: row.name });
        // Said while read, and a failure said with what to do: dropped, it ended the console (QA25).
        if (key.return && sources.inspect) {
          setNote(`Inspecting ${row.name}...`);
          void sources.inspect(row.name).then(
            (lines) => {
              setNote('');
              setMode({ kind: 'inspect', name: row.name, lines });
            },
            (err: unknown) => setNote(`inspect ${row.name}: ${reasonOf(err)}`),
          );
        }
      }}
      footer={{
        text: note || 's start  S stop  R restart  l logs  c settings  Enter inspect, security rating',
        dim: true,
      }}
      state={list}
    />
  );
}

function InspectView(props: {
  name: string;
  lines: string[];
  height: number;
  width: number;
  onClose(): void;
}) {
  const { plain } = useTheme();
  const { width } = props;
  // Each line wrapped under its own indentation, its continuation two further in: cut at the
  // screen's width, 40 columns lost the ends of the longer lines (a restart's command, a reason).
  const lines = useMemo(
    () =>
      props.lines.flatMap((l) => {
        const indent = /^ */.exec(l)![0];
        const rest = Math.max(10, width - indent.length - 2);
        return wrapLines(l.slice(indent.length), rest).map((r, i) => `${indent}${i ? '  ' : ''}${r}`);
      }),
    [props.lines, width],
  );
  const title = wrapLines(`Inspect ${props.name} (j/k, PgUp/PgDn, g/G scroll; ${DETAIL_BACK})`, width);
  // The inspection (sandbox, kernel view, probe, security rating) is longer than a screen: it
  // scrolls, saying what is above and below; any key that does not scroll goes back.
  return (
    <Box flexDirection="column">
      {title.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a row's place in the title is its identity
        <Text key={i} bold={!plain} wrap="truncate">
          {l}
        </Text>
      ))}
      <ScrollLines
        lines={lines}
        height={Math.max(1, props.height - title.length)}
        width={props.width}
        onOtherKey={() => props.onClose()}
      />
    </Box>
  );
}
