/**
 * QA25 with NO_COLOR=1 in a colour terminal (xterm-256color: Ink's colours are on there unless the
 * console turns them off): the Dashboard was plain, but the key lines of Packages, Services and
 * Keys were still sent dim (`ESC[2m`), and an inspection's title bold. Every screen is checked.
 */
import { beforeEach, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('nocolor');
beforeEach(() => requireExe());

it('NO_COLOR: no SGR code on any of the seven screens in a colour terminal', async () => {
  const p = new Pane([exe, '--root', t.root], {
    width: 100,
    height: 30,
    // FORCE_COLOR: Ink's colours on as in a person's terminal, whatever the test runner's environment
    // (its COLOR=0, tmux's server) says; NO_COLOR is the console's to honour.
    env: { NO_COLOR: '1', TERM: 'xterm-256color', CI: 'false', FORCE_COLOR: '1' },
  });
  t.defer(async () => p.kill());
  await p.waitFor('(not set up: press 5)');
  const seen: string[] = [];
  for (const [key, shows] of [
    ['2', 'Packages ('],
    ['3', 'Services ('],
    ['4', 'Remove:'],
    ['6', 'Outbound ('],
    ['7', 'System slots'],
    ['1', 'Exposure'],
  ] as const) {
    p.keys(key);
    await p.waitFor(shows);
    const s = p.screen(true);
    if (/\x1b\[[0-9;]*m/.test(s))
      seen.push(`${key}: ${JSON.stringify(s.match(/.{0,30}\x1b\[[0-9;]*m.{0,30}/)?.[0])}`);
  }
  expect(seen).toEqual([]);
  p.keys('C-c');
  await p.waitFor('EXIT=0');
}, 60_000);
