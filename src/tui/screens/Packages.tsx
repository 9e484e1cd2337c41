import { useCallback, useEffect, useState } from 'react';
import type { OutboundApprovals } from '../../app/index.js';
import { approvalAsked } from '../../present/outbound.js';
import { installedAs } from '../../present/packages.js';
import { reasonOf } from '../../present/reason.js';
import { shownHint } from '../../present/root-in-hints.js';
import { Confirm } from '../components/Confirm.js';
import { ListScreen, useListState } from '../components/ListScreen.js';
import { Operation } from '../components/Operation.js';
import type { Column } from '../components/Table.js';
import type { ScreenProps } from '../screen.js';
import type { PackageAction, PackageRow } from '../sources.js';

type Mode =
  | { kind: 'list' }
  | { kind: 'confirm'; action: PackageAction; name: string; lines: string[] }
  | { kind: 'run'; action: PackageAction; name: string; approvals?: OutboundApprovals }
  /** The install named a module's outbound hosts: nothing is installed until the admin approves them. */
  | { kind: 'approve'; name: string; module: string; hosts: string[]; approvals: OutboundApprovals };

const stateOf = (p: PackageRow): string =>
  p.installed
    ? `${['installed', installedAs(p)].filter(Boolean).join(', ')}${p.origin ? ` (${p.origin})` : ''}`
    : 'available';

/**
 * Narrower than this, the list keeps the name and whether it is installed: four columns in 38 cut
 * names to 8 characters (`embeddi…`, `model-q…`: the model packages' names are their meaning) and
 * the state to `installe…` (CONSOLE3's walk). The version and the rest are i/Enter's question.
 */
const NARROW = 60;

const WIDE_COLUMNS: Column<PackageRow>[] = [
  { header: 'Name', width: 22, get: (p) => p.name },
  { header: 'Version', width: 12, get: (p) => p.version },
  // An installed package shows the repository it came from (and upgrades from only), and
  // whether it came in as a dependency in `bpkg list`'s word, before the origin: a long
  // origin is what gets cut.
  { header: 'State', width: 28, get: stateOf },
  { header: 'Summary', get: (p) => p.summary },
];

const NARROW_COLUMNS: Column<PackageRow>[] = [
  { header: 'Name', get: (p) => p.name },
  { header: 'State', width: 9, get: (p) => (p.installed ? 'installed' : 'available') },
];

export function Packages(props: ScreenProps) {
  const { sources } = props;
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [note, setNote] = useState('');
  // The filter and the selected package outlive the question and the operation.
  const list = useListState();
  const { setCapture } = props;
  // A dialog, a log view or an operation owns the keyboard: q and Esc close it, not the screen.
  useEffect(() => setCapture(mode.kind !== 'list'), [mode.kind, setCapture]);
  const ask = async (action: PackageAction, name: string) => {
    const lines = [`${action} ${name}`];
    if (action === 'upgrade' && sources.upgradePlan) {
      // As bpkg update && bpkg upgrade: the indexes updated, then the plan before the question.
      setNote('Updating the package indexes...');
      // The error with its hint, what to do next (QA25: its message alone).
      const p = await sources.upgradePlan().catch((err: unknown) => ({ error: reasonOf(err) }));
      if ('error' in p) return setNote(p.error);
      setNote('');
      if (!p.changes)
        return setNote(
          p.lines.length
            ? `Nothing can be upgraded now. ${p.lines.join(' ')}`
            : 'Nothing to upgrade: every installed package is at the newest version its repository offers.',
        );
      lines.push(
        'The indexes are updated; the upgrade makes these changes:',
        ...p.lines.map((l) => `  ${l}`),
        "Each package's signature is checked again; if the plan changes before it runs, nothing is upgraded.",
      );
    }
    if (action === 'install' && sources.signerOf) {
      // Read from the repository, seconds on a slow one: said meanwhile (QA25).
      setNote(`Reading ${name}'s signature and install plan...`);
      const s = await sources.signerOf(name).catch((err: unknown) => ({ error: reasonOf(err) }));
      if ('error' in s) return setNote(s.error);
      setNote('');
      lines.push(
        `version ${s.version}`,
        `signed by ${s.signer}`,
        `key ${s.fingerprint.replace(/(.{4})/g, '$1 ')}`,
        ...(s.plan ?? []),
      );
    }
    setMode({ kind: 'confirm', action, name, lines });
  };
  const run = useCallback(
    async (progress: (l: string) => void) => {
      if (mode.kind !== 'run' || !sources.packageAction) return;
      try {
        await sources.packageAction(mode.action, mode.name, progress, props.signal, mode.approvals);
      } catch (err) {
        const asked = mode.action === 'install' ? approvalAsked(err) : undefined;
        if (!asked) throw err;
        setMode({ kind: 'approve', name: mode.name, ...asked, approvals: mode.approvals ?? {} });
      }
    },
    [mode, sources, props.signal],
  );
  if (mode.kind === 'approve')
    return (
      <Confirm
        height={props.height}
        width={props.width}
        title={`Approve outbound network for ${mode.module}?`}
        lines={[
          mode.hosts.length
            ? `${mode.module} asks to connect to these hosts; its container can reach nothing else:`
            : `${mode.module} asks for outbound network but names no host: it could reach nothing.`,
          ...mode.hosts.map((h) => `  ${h}`),
          'Nothing is installed yet. y approves exactly these hosts and installs, n cancels.',
        ]}
        onAnswer={(yes) =>
          setMode(
            yes
              ? {
                  kind: 'run',
                  action: 'install',
                  name: mode.name,
                  approvals: { ...mode.approvals, [mode.module]: mode.hosts },
                }
              : { kind: 'list' },
          )
        }
      />
    );
  if (mode.kind === 'confirm')
    return (
      <Confirm
        height={props.height}
        width={props.width}
        title={`Confirm: ${mode.action} ${mode.name}?`}
        lines={mode.lines}
        onAnswer={(yes) =>
          setMode(yes ? { kind: 'run', action: mode.action, name: mode.name } : { kind: 'list' })
        }
      />
    );
  if (mode.kind === 'run')
    return (
      <Operation
        title={`${mode.action} ${mode.name}`}
        run={run}
        setBusy={props.setBusy}
        height={props.height}
        width={props.width}
        onClose={() => setMode({ kind: 'list' })}
      />
    );
  return (
    <ListScreen<PackageRow>
      {...props}
      title="Packages"
      load={sources.packages}
      haystack={(p) => `${p.name} ${p.summary}`}
      rowKey={(p) => p.name}
      empty={shownHint(
        'No packages: none installed and no repository offers any. Add one: `bpkg key add FILE --fingerprint FPR`, `bpkg repo add NAME URL --key FPR`, `bpkg update` (4 Keys).',
      )}
      columns={props.width < NARROW ? NARROW_COLUMNS : WIDE_COLUMNS}
      onKey={(input, row, _reload, key) => {
        setNote('');
        if (!sources.packageAction) return setNote('Package actions: not available yet in this build.');
        // Every installed package, whichever row is selected (the question named the row).
        if (input === 'u') return void ask('upgrade', 'all');
        // A key the key line offers, on an empty list: said, not ignored as if unread.
        if (!row)
          return input === 'i' || input === 'x' || key.return
            ? setNote(
                list.query
                  ? 'No package selected: nothing matches the filter (/ then Esc clears it).'
                  : 'No package selected: the list is empty.',
              )
            : undefined;
        // Installed already: said, with the next steps, and no question whose yes would do nothing.
        // One installed as a dependency is asked about: installing it by name keeps it (autoremove).
        if (input === 'i' || key.return) {
          if (row.installed && !row.auto)
            return setNote(`${row.name} ${row.version} is installed (u upgrades all, x removes it)`);
          void ask('install', row.name);
        }
        // Only an installed package can be removed: an offered one is said so, with no question.
        if (input === 'x') {
          if (!row.installed) return setNote(`${row.name} is not installed (i installs it)`);
          void ask('remove', row.name);
        }
      }}
      // A note escaped and wrapped (it may quote a server's answer: why the signer could not be read).
      footer={
        note ? { text: note } : { text: 'i/Enter install  x remove  u upgrade all  / search', dim: true }
      }
      state={list}
    />
  );
}
