/**
 * The CLI on the serial line (QA18): the image's serial console says TERM=vt220 (console servers
 * and old terminals vt100), terminals with no colours in their terminfo. The console was made plain
 * there (test/tui/serial-term-plain), but the CLI's own messages still came in colour and dim
 * (`error:` red, the hint faint), as on a colour xterm; only TERM=dumb turned that off.
 */
import { afterEach, expect, it } from 'vitest';
import { exe, Pane, requireExe } from '../tui/tmux.js';

const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

const errorOn = async (term: string) => {
  requireExe();
  const p = new Pane([exe, '--root', '/nonexistent/qa18-box', 'status'], {
    width: 100,
    height: 12,
    env: { TERM: term },
  });
  panes.push(p);
  await p.waitFor('EXIT=');
  return p.screen(true);
};

it('TERM=xterm: error and hint in colour (the check below can tell)', async () => {
  expect(await errorOn('xterm')).toMatch(/\x1b\[[0-9;]*m/);
});

for (const term of ['vt220', 'vt100']) {
  it(`TERM=${term}: error and hint with no colour or dim codes`, async () => {
    const screen = await errorOn(term);
    expect(screen).toContain('error:');
    expect(screen).not.toMatch(/\x1b\[[0-9;]*m/);
  });
}
