import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { exe, Pane, requireExe } from './tmux.js';

/**
 * The image stops the first-boot wizard on the other console with SIGTERM once setup is done on
 * one (blueprint-setup-done.service). The CLI's signal handler turned SIGTERM into an abort that
 * the TUI never looked at, so the wizard stayed up until systemd killed it 90 s later (and the
 * unit was marked failed). SIGTERM and SIGHUP must close the interface at once.
 */
// Made before the panes' hook: after-hooks run last-made first, so a pane is killed before its root goes.
const box = boxPerTest('sigterm');
const panes: Pane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.kill();
});

/** The blueprint process in the pane (the pane's shell runs it, then echoes EXIT=). */
function blueprintPid(p: Pane): number {
  const shell = p.tmux('list-panes', '-t', p.name, '-F', '#{pane_pid}').trim();
  return Number(execFileSync('pgrep', ['-P', shell]).toString().trim().split('\n')[0]);
}

describe('the TUI and signals', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const)
    it(`the setup wizard exits at once on ${signal}`, async () => {
      requireExe();
      const p = new Pane([exe, '--root', box.root, 'setup'], { width: 100, height: 40 });
      panes.push(p);
      await p.waitFor('Step 1 of');
      process.kill(blueprintPid(p), signal);
      // 100 polls of 50 ms: well inside systemd's 90 s, far from a hang.
      const screen = await p.waitFor(/EXIT=\d+/, 100);
      // SIGTERM: the CLI's 'interrupted' (130); SIGHUP: the default end of a hung-up terminal (129).
      expect(screen).toMatch(signal === 'SIGTERM' ? /EXIT=130/ : /EXIT=129/);
    });
});
