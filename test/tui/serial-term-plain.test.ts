/**
 * The serial line's terminal (QA18): the image's serial wizard runs with TERM=vt220, and a console
 * server or an old terminal says vt100. Neither has colours or an alternate screen (their terminfo:
 * `tput -T vt220 colors` is -1, no smcup), but the wizard sent both, as on a colour xterm: colour
 * SGRs a VT220 does not draw (a choice shown only by colour is lost) and the alternate screen's
 * switch. Such a TERM is now plain, as TERM=dumb: no colours, no inverse video, no alternate screen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('serial-term');
const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

for (const term of ['vt220', 'vt100']) {
  it(`TERM=${term}: the wizard sends no colour, no inverse video and no alternate screen`, async () => {
    requireExe();
    const log = path.join(t.work, `${term}.raw`);
    // script(1) keeps every byte the wizard wrote to its terminal, the mode switches included.
    const cmd = `${exe} --root ${t.root} setup`;
    const p = new Pane(['script', '-qfec', cmd, log], { width: 80, height: 24, env: { TERM: term } });
    panes.push(p);
    await p.waitFor('Step 1 of');
    p.keys('C-u');
    p.text('box-serial');
    p.keys('Enter');
    await p.waitFor('Time zone');
    const raw = readFileSync(log, 'latin1');
    expect(raw).not.toContain('\x1b[?1049h');
    expect(raw).not.toMatch(/\x1b\[[0-9;]*m/);
    p.keys('C-c');
    await p.waitFor('EXIT=0');
  });
}
