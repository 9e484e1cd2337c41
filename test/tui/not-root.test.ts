import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';
import { exe, Pane, requireExe } from './tmux.js';

/**
 * The console run without root (the SSH login hook starts `blueprint tui --login` as the admin;
 * seen on the demo box as nobody): its Dashboard said 'Services  EACCES: permission denied,
 * scandir '…/var/lib/blueprint/services'', Node's errno words. It now says permission was denied
 * and that the console needs root. The executable in tmux, run as uid 65534.
 */
const runnable =
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
const panes: Pane[] = [];
afterAll(() => {
  for (const p of panes) p.kill();
});

describe.skipIf(!runnable)('the console without root', () => {
  it("says the services' folder is root's and to run the console as root", async () => {
    requireExe();
    const root = tempDir('bp-tui-not-root-');
    chmodSync(root, 0o755);
    installedRag(root);
    chmodSync(path.join(root, 'var/lib/blueprint/services'), 0o700);
    const p = new Pane(['runuser', '-u', 'nobody', '--', exe, '--root', root], { width: 140 });
    panes.push(p);
    const screen = await p.waitFor(/Services\s+\S/);
    expect(screen).not.toContain('EACCES');
    expect(screen).toMatch(
      /Services\s+permission denied: .*services; the console needs root: sudo blueprint/,
    );
  });
});
