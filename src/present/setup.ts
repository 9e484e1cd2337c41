import type { SetupChange as Change } from '../app/index.js';
import { escapeLine } from './escape.js';

const SIGN: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', unchanged: '=' };

/** One line per change, as `setup --dry-run`, `apply --dry-run` and the wizard's summary show them. */
export function formatChange(c: Change): string {
  const detail = c.detail ? ` [${c.detail}]` : '';
  return `${SIGN[c.action]} ${c.action.padEnd(9)} ${c.kind.padEnd(10)} ${c.target}  (${c.what})${detail}`;
}

export function formatChanges(changes: Change[], all = false): string {
  const shown = all ? changes : changes.filter((c) => c.action !== 'unchanged');
  if (!shown.length) return 'Nothing to change: the box already matches.';
  const same = changes.length - shown.length;
  return [...shown.map(formatChange), ...(same ? [`(${same} already as wanted)`] : [])].join('\n');
}

/** The JSON shape of a change list for --json (no file contents). */
export function changesJson(changes: Change[]) {
  return changes.map(({ action, kind, target, what, detail }) => ({
    action,
    kind,
    target,
    what,
    ...(detail ? { detail } : {}),
  }));
}

/** The wizard step that asks for each answers field (core/setup/wizard.ts's titles). */
const STEP_OF: [RegExp, string][] = [
  [/^hostname$/, 'Host name'],
  [/^timezone$/, 'Time zone'],
  [/^admin\.keys(\.\d+)?$/, 'Admin SSH key'],
  [/^admin(\.name)?$/, 'Admin user'],
  [/^ssh(\..+)?$/, 'SSH'],
  [/^repository(\.url)?$/, 'Repository'],
  [/^repository\.(key|fingerprint)$/, 'Repository key'],
  [/^modules(\.\d+(\.name)?)?$/, 'Modules'],
];

/**
 * A plan's refusal as the setup wizard says it: each answers field it opens with (`modules.0.name:
 * "x" is not in the offline catalog …`, a field of a file the admin never wrote) named by the step
 * that asked for it (`Modules: "x" …`), as `setup`'s flags name theirs.
 */
export function byWizardStep(message: string): string {
  return message
    .split('; ')
    .map((issue) => namedField(issue, STEP_OF) ?? issue)
    .join('; ');
}

/**
 * An issue that opens with an answers field (`modules.0.name: "x" …`) with that field named as
 * `names` says (the first pattern the field matches: a flag, a wizard step), or undefined when it
 * opens with none of them. Setup's flags and its wizard each name the fields of their refusals so.
 */
export function namedField(issue: string, names: [RegExp, string][]): string | undefined {
  const field = /^([a-z][\w.]*): /.exec(issue)?.[1];
  const name = field && names.find(([re]) => re.test(field))?.[1];
  return name ? `${name}${issue.slice(field.length)}` : undefined;
}

/**
 * What the admin does once setup is applied (QA14): how to log in (at the box's `addresses`, when
 * known), or, with SSH off, at the console with the console password (QA18); without one (apply's
 * users may have none) that nobody can, since root is locked.
 */
export function setupNextSteps(
  a: { hostname: string; admin: string; ssh: boolean; consolePassword?: boolean },
  addresses: string[] = [],
): string[] {
  if (a.ssh) {
    const at = addresses.length
      ? addresses.map((x) => `${a.admin}@${escapeLine(x)}`).join(', ')
      : `${a.admin}@ the address your network gave this box`;
    return [`Next: from your computer, ssh ${a.admin}@${a.hostname} (or ${at}); the console opens at login.`];
  }
  if (a.consolePassword)
    return [`SSH is off: ${a.admin} logs in on the console or the serial line with the console password.`];
  return [`SSH is off and ${a.admin} has no password: nobody can log in to this box.`];
}

/**
 * The hint of an apply stopped by a signal after it made changes: they stay (each was said as it
 * began, and --json's error lists them in `changed`), and the same command does the rest.
 */
export const stoppedPartWayHint = (made: number, shown: ChangesShown): string =>
  `Stopped part-way: ${stayed(made, shown)}; run the same command again to do the rest.`;

/** Where the changes an apply made are to be read: its --json error's `changed`, the lines it printed, or nowhere (--quiet). */
export type ChangesShown = 'json' | 'above' | 'none';

const stayed = (made: number, shown: ChangesShown): string =>
  `the ${made} change(s) made before it stay${shown === 'json' ? ' (the error\'s "changed")' : shown === 'above' ? ' (listed above)' : ''}`;

/**
 * A failure (not an interruption) after apply made changes: the failure's own hint says what to do
 * about it, often with "nothing was installed" or "nothing was written" about its own step, so the
 * changes made before it are said after it.
 */
export const failedPartWayHint = (hint: string | undefined, made: number, shown: ChangesShown): string =>
  `${hint ? `${hint.replace(/\.?$/, '.')} ` : ''}Stopped part-way: ${stayed(made, shown)}; once that is fixed, the same command does the rest.`;

/**
 * A running service whose resources or settings apply changed: it keeps what it was started with
 * until it starts again (docs/fleet.md), so the admin is told, with the command that does it.
 */
export function restartNeededLine(r: { name: string; changed: string[] }, would = false): string {
  return `${r.name} ${would ? 'would run' : 'runs'} with its old ${r.changed.join(' and ')} until it is restarted: \`blueprint service restart ${r.name}\``;
}
