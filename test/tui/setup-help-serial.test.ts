/**
 * The wizard's help key on the real executable, with the terminals a first boot meets: a serial line
 * (TERM=vt100, vt220, dumb: no function keys there) as well as the console and SSH. Ctrl-G is one
 * byte (0x07) on each; once a step shows it opens the help, and Esc returns to the step with what
 * was typed (QA14's walk: '?' was typed into the field, and nothing else opened the help).
 */
import { beforeEach, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('setuphelpserial');
beforeEach(() => requireExe());

it.each(['vt100', 'vt220', 'dumb'])(
  'TERM=%s: Ctrl-G opens the help on a step, Esc returns to it',
  async (term) => {
    const p = new Pane([exe, '--root', t.root, 'setup'], { width: 80, height: 24, env: { TERM: term } });
    t.defer(async () => p.kill());
    const step = await p.waitFor('Step 1 of');
    expect(step).toContain('Ctrl-G help');
    p.keys('C-u');
    p.text('vm');
    await p.waitFor('> vm');
    p.keys('C-g');
    const help = await p.waitFor('back to the step.');
    expect(help).toMatch(/Esc\s+previous step/);
    expect(help).toMatch(/Ctrl-C\s+quit/);
    expect(help).not.toContain('> vm');
    p.keys('Escape');
    const back = await p.waitFor(/Step 1 of[\s\S]*> vm/);
    expect(back).not.toContain('back to the step.');
    p.keys('Enter');
    await p.waitFor('Time zone');
  },
);
