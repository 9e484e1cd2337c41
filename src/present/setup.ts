import type { SetupChange as Change } from '../app/index.js';

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
