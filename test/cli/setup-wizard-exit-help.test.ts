/**
 * `blueprint setup`'s wizard ends with 5 when its setup was refused because another console set the
 * box up meanwhile (WIZ2; it ended with 0 before): a person or a script running it by hand learns
 * that from --help, as the unit file and the README's exit codes say it.
 */
import { expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { requireExe } from '../tui/tmux.js';

it('setup --help says the wizard ends with 5 when the box was set up meanwhile', async () => {
  requireExe();
  const r = await run(['setup', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout.replace(/\s+/g, ' ')).toContain(
    'The wizard ends with 5 when another console set the box up meanwhile (its own setup not applied)',
  );
});
