/** Every key of the interface, as `?` shows them. Screens add their own section. */
export const GLOBAL_KEYS: [string, string][] = [
  ['1-7 / Tab', 'switch screen: Dashboard, Packages, Services, Keys, Setup, Outbound, System'],
  ['Up/Down, j/k', 'move'],
  ['PgUp/PgDn, g/G', 'page, first, last'],
  ['/', 'search (type to filter, Enter keeps it, Esc clears)'],
  ['?', 'this help'],
  ['q, Esc', 'back; quit from the Dashboard'],
  ['Ctrl-C', 'quit; a running operation finishes its current step first'],
];

export const SCREEN_KEYS: Record<string, [string, string][]> = {
  dashboard: [['r', 'refresh now']],
  packages: [
    ['Enter / i', 'install the selected package (shows the signer key first)'],
    ['x', 'remove the selected package'],
    ['u', 'upgrade everything'],
  ],
  services: [
    ['s / S / R', 'start / stop / restart the selected service'],
    ['l', 'live logs (follow)'],
    ['Enter', 'inspect'],
  ],
  keys: [],
  outbound: [['/', 'search destinations, modules, verdicts (blocked first, then the latest)']],
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
  ],
};

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
