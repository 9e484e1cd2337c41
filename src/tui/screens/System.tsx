import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { SystemStatus } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { formatSystemStatus, rollbackLines } from '../../present/update.js';
import { Confirm } from '../components/Confirm.js';
import { Operation } from '../components/Operation.js';
import { TextInput } from '../components/TextInput.js';
import type { ScreenProps } from '../screen.js';
import type { Maybe, SystemAction } from '../sources.js';
import { useTheme } from '../theme.js';
import { usePoll } from '../usePoll.js';

type Mode =
  | { kind: 'view' }
  | { kind: 'ask'; what: 'file' | 'repo'; value: string }
  | { kind: 'confirm'; action: SystemAction; title: string; lines: string[] }
  | { kind: 'run'; action: SystemAction; title: string };

const unavailable: Maybe<SystemStatus> = { available: false, reason: 'not available in this build' };

/**
 * The OS itself (issue 21): both A/B slots, an update from a bundle file or a repository, and the
 * way back, each confirmed first; the calls `blueprint system status|update|rollback` make.
 */
export function System(props: ScreenProps) {
  const { sources, setCapture } = props;
  const { plain } = useTheme();
  const [mode, setMode] = useState<Mode>({ kind: 'view' });
  const poll = usePoll(() => (sources.system ? sources.system() : Promise.resolve(unavailable)), 10_000);
  useEffect(() => setCapture(mode.kind !== 'view'), [mode.kind, setCapture]);
  const status = poll.value?.available ? poll.value.value : undefined;
  // Read and not there (no RAUC, no slots): f, u and b are said to need them, asking nothing (QA25:
  // b did nothing, f and u asked for what could only end in an error after the confirmation).
  const noSlots = poll.value?.available === false;
  const [note, setNote] = useState('');
  useInput(
    (input, key) => {
      setNote('');
      if (noSlots && ['f', 'u', 'b'].includes(input))
        setNote(`${input}: updates and rollback need the A/B slots, which this box does not have (above).`);
      else if (input === 'f') setMode({ kind: 'ask', what: 'file', value: '' });
      else if (input === 'u') setMode({ kind: 'ask', what: 'repo', value: '' });
      else if (input === 'b' && status)
        setMode({
          kind: 'confirm',
          action: { kind: 'rollback' },
          title: 'Confirm: go back to the other system slot?',
          lines: rollbackLines(status),
        });
      else if (input === 'r' || key.return) poll.refresh();
    },
    { isActive: mode.kind === 'view' && Boolean(sources.systemAction) },
  );
  const run = useCallback(
    async (progress: (l: string) => void) => {
      if (mode.kind !== 'run' || !sources.systemAction) return;
      for (const l of await sources.systemAction(mode.action, progress, props.signal)) progress(l);
    },
    [mode, sources, props.signal],
  );
  if (mode.kind === 'ask') {
    const submit = (v: string) => {
      const value = v.trim();
      if (!value) return setMode({ kind: 'view' });
      const next = status?.slots.find((s) => !s.booted)?.bootname ?? 'the other slot';
      const trial = [
        `It is written into slot ${next} (not running) and boots next, on trial: reboot to start it.`,
        'Nothing is written unless its signature, compatible and version (only up) pass.',
      ];
      setMode(
        mode.what === 'file'
          ? {
              kind: 'confirm',
              action: { kind: 'file', file: value },
              title: `Confirm: install the system bundle ${value}?`,
              lines: [`Running: ${status?.version ?? 'unknown'}.`, ...trial],
            }
          : {
              kind: 'confirm',
              action: { kind: 'repo', repo: value },
              title: `Confirm: install the newest system from repository ${value}?`,
              lines: [
                `Running: ${status?.version ?? 'unknown'}. The package must be signed by a key of ${value}, the bundle by this box's RAUC keyring.`,
                ...trial,
              ],
            },
      );
    };
    return (
      <Box flexDirection="column">
        <Text bold={!plain}>
          {mode.what === 'file' ? 'Path of the bundle (.raucb) on this box:' : 'Repository to update from:'}
        </Text>
        <TextInput
          value={mode.value}
          onChange={(value) => setMode({ ...mode, value })}
          onSubmit={submit}
          onCancel={() => setMode({ kind: 'view' })}
          placeholder={mode.what === 'file' ? '/media/usb/blueprintos-2.0.0.raucb' : 'updates'}
        />
        <Text dimColor={!plain}>Enter continue, Esc cancel</Text>
      </Box>
    );
  }
  if (mode.kind === 'confirm')
    return (
      <Confirm
        height={props.height}
        width={props.width}
        title={mode.title}
        lines={mode.lines}
        onAnswer={(yes) =>
          setMode(yes ? { kind: 'run', action: mode.action, title: mode.title } : { kind: 'view' })
        }
      />
    );
  if (mode.kind === 'run')
    return (
      <Operation
        title={mode.title.replace(/^Confirm: /, '').replace(/\?$/, '')}
        run={run}
        setBusy={props.setBusy}
        height={props.height}
        width={props.width}
        onClose={() => {
          setMode({ kind: 'view' });
          poll.refresh();
        }}
      />
    );
  return (
    <Box flexDirection="column">
      <Text bold={!plain}>System slots</Text>
      {poll.value === undefined ? (
        <Text>{poll.error !== undefined ? escapeLine(poll.error) : 'Reading...'}</Text>
      ) : poll.value.available ? (
        formatSystemStatus(poll.value.value)
          .split('\n')
          // biome-ignore lint/suspicious/noArrayIndexKey: two slots may show the same line
          .map((l, i) => <Text key={i}>{escapeLine(l)}</Text>)
      ) : (
        // One line: the reason may quote RAUC's output (tool-output.ts), which cannot paint lines.
        <Text>{`Not available: ${escapeLine(poll.value.reason)}`}</Text>
      )}
      {note ? <Text>{note}</Text> : null}
      <Text dimColor={!plain}>
        {!sources.systemAction
          ? 'System actions: not available in this build.'
          : noSlots
            ? 'r refresh  (f, u and b need the A/B slots)'
            : 'f update from a file  u update from a repository  b go back (rollback)  r refresh'}
      </Text>
    </Box>
  );
}
