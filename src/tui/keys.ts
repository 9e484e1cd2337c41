/** Every key of the interface, as `?` shows them. Screens add their own section. */
export const GLOBAL_KEYS: [string, string][] = [
  ['1-7 / Tab', 'switch screen: Dashboard, Packages, Services, Keys, Setup, Outbound, System'],
  ['Up/Down, j/k', 'move'],
  ['PgUp/PgDn, g/G', 'page, first, last'],
  ['/', 'search a list: Packages, Services, Keys, Outbound (type to filter, Enter keeps it, Esc clears)'],
  ['?', 'this help'],
  ['q, Esc', 'back; quit from the Dashboard'],
  ['Ctrl-C', 'quit; a running operation finishes its current step first'],
];

export const SCREEN_KEYS: Record<string, [string, string][]> = {
  dashboard: [
    ['r', 'refresh now'],
    [
      'j/k, PgUp/PgDn',
      'scroll (the arrows and g/G too), where the screen is shorter than the rows (a 40x12 serial line)',
    ],
  ],
  packages: [
    ['Enter / i', 'install the selected package (shows the signer key first)'],
    ['x', 'remove the selected package'],
    ['u', 'upgrade everything'],
  ],
  services: [
    ['s / S / R', 'start / stop / restart the selected service'],
    ['l', 'live logs, long lines wrapped: follows; j/k, PgUp/PgDn, g scroll back (paused), G follows again'],
    ['c', 'settings: change one (Enter) or put it back to its default (d)'],
    ['Enter', 'inspect'],
  ],
  keys: [['Enter', 'the selected key: its whole fingerprint, what it signs for, its signer']],
  outbound: [
    ['/', 'search destinations, modules, verdicts (blocked first, then the latest)'],
    ['Enter', 'the destination whole: protocol, count, first and last seen, the allowing rule'],
  ],
  system: [
    ['f', 'update the system from a bundle file (asks the path, then confirms)'],
    ['u', 'update the system from a repository (its system-bundle package)'],
    ['b', 'go back to the other slot (rollback), after confirming'],
    ['r / Enter', 'refresh'],
  ],
  setup: [
    ['Enter', 'accept the answer'],
    ['y / n', 'yes / no, at a question (SSH, security updates)'],
    ['Space', 'choose a module, in the catalog'],
    ['Esc', 'previous step'],
    ['Ctrl-U', 'clear the field'],
    ['Ctrl-G', "the wizard's help, on any step"],
  ],
};

/**
 * The wizard's help key. Every step's field takes printable keys as text ('?' too: a passphrase
 * may start with it, and the host name is filled in already, so not even '?' on an empty field),
 * and the serial line (TERM=vt100, vt220, dumb) sends no function keys, so F1 is out. Ctrl-G is one
 * byte (BEL, 0x07) on every terminal, the console, a serial line and SSH alike; no field types it,
 * Ink reports it as ctrl+g, and no line discipline or serial client takes it: Ctrl-A is screen's
 * and minicom's prefix, Ctrl-B tmux's, Ctrl-S/Ctrl-Q may be XON/XOFF, Ctrl-H is Backspace, Ctrl-] is
 * telnet's escape, Ctrl-C quits and Ctrl-U clears. nano uses it for help (^G Get Help).
 */
export const WIZARD_HELP: [string, string] = ['Ctrl-G', 'help'];

/** The keys of each kind of wizard step (and the summary), as its help lists them. */
export const WIZARD_STEP_KEYS: Record<
  'text' | 'confirm' | 'info' | 'checklist' | 'summary',
  [string, string][]
> = {
  text: [
    ['Enter', 'accept the answer'],
    ['Ctrl-U', 'clear the field'],
    ['Backspace', 'delete the last character'],
  ],
  confirm: [['y / n', 'yes / no (Enter alone does not answer)']],
  info: [['Enter', 'go on']],
  checklist: [
    ['Up/Down', 'move'],
    ['Space', 'choose a module, or unchoose it'],
    ['Enter', 'accept the choice (none chosen is a choice)'],
  ],
  summary: [
    ['Up/Down, j/k', 'scroll the changes; PgUp/PgDn, g/G page, first, last'],
    ['y', 'apply these changes'],
    ['n', 'back to the last step'],
  ],
};

/** Each kind of step's key line, under its answer: Enter does nothing at a yes/no question (QA8). */
export const WIZARD_KEY_LINE: Record<'text' | 'confirm' | 'info' | 'checklist', string[]> = {
  text: ['Enter accept', 'Esc previous step', 'Ctrl-U clear', WIZARD_HELP.join(' ')],
  confirm: ['y yes', 'n no', 'Esc previous step', WIZARD_HELP.join(' ')],
  info: ['Enter accept', 'Esc previous step', WIZARD_HELP.join(' ')],
  checklist: ['Space choose', 'Enter accept', 'Esc previous step', WIZARD_HELP.join(' ')],
};

/** The keys of every step of the wizard. */
export const WIZARD_KEYS: [string, string][] = [
  ['Esc', 'previous step; from the first step, leave the wizard'],
  ['Ctrl-G', 'this help'],
  ['Ctrl-C', 'quit: nothing is written before the summary is answered y'],
];

/** Key hints ('Enter accept') in rows no wider than `width`, a pair never split across rows. */
export function keyRows(pairs: string[], width: number): string[] {
  const rows: string[] = [];
  for (const p of pairs) {
    const last = rows.at(-1);
    if (last !== undefined && last.length + 2 + p.length <= width) rows[rows.length - 1] = `${last}  ${p}`;
    else rows.push(p);
  }
  return rows;
}

export const LOGIN_KEYS: [string, string][] = [['!', 'leave the console for a shell']];

/**
 * Moves a selection for j/k/arrows/paging keys (a run of j or k read at once: that many rows);
 * returns undefined when the key is not a move.
 */
export function moveSelection(
  input: string,
  key: { upArrow?: boolean; downArrow?: boolean; pageUp?: boolean; pageDown?: boolean },
  current: number,
  count: number,
  page: number,
): number | undefined {
  const last = Math.max(0, count - 1);
  const clamp = (n: number) => Math.min(last, Math.max(0, n));
  if (key.upArrow) return clamp(current - 1);
  if (key.downArrow) return clamp(current + 1);
  // A held j or k (or keys typed while the console was busy) arrives as one read, 'jjj': Ink hands
  // it over whole, so each letter moves once.
  if (/^k+$/.test(input)) return clamp(current - input.length);
  if (/^j+$/.test(input)) return clamp(current + input.length);
  if (key.pageUp) return clamp(current - page);
  if (key.pageDown) return clamp(current + page);
  if (input === 'g') return 0;
  if (input === 'G') return last;
  return undefined;
}
