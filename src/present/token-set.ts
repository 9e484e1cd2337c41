import { shownHint } from './root-in-hints.js';

/** What `service token NAME` (and the dashboard's own-token form) did, in one line: never the token. */
export function tokenSetText(r: {
  name: string;
  file: string;
  token?: string;
  usedBy: string[];
  changed?: boolean;
}): string {
  // `--remove` of a module with no token: nothing changed, so nothing to restart.
  if (r.token === undefined && r.changed === false) return `${r.name} has no token, nothing to do`;
  const restart = [r.name, ...r.usedBy].map((n) => `blueprint service restart ${n}`).join(' && ');
  const what =
    r.token === undefined ? `token of ${r.name} removed` : `token of ${r.name} written to ${r.file}`;
  return `${what}; it applies at the next start: ${shownHint(`\`${restart}\``)}`;
}
