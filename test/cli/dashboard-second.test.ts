/**
 * `blueprint dashboard` while one already runs on the box (blueprint-web.service, say) exited 5
 * with 'error: a dashboard is already running on SOCKET' and no hint, and its --json code was the
 * hint's sentence ('Stop the other dashboard, or check the folder named.'): the hint had been given
 * to ConflictError where its code goes. Now the code is dashboard-running and the hint says how to
 * reach the one running, or stop it. Through the built executable.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startDashboardExe } from '../helpers/dashboard-exe.js';
import { run, tempDir } from '../helpers/pkg.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('a second dashboard on the same box', () => {
  it('exit 5, a code that is a code, and a hint: the running one, or stop it', async () => {
    const root = tempDir('bp-dash-two-');
    await startDashboardExe(root, children);
    const r = await run(['--root', root, 'dashboard', '--no-token']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('error: a dashboard is already running on');
    expect(r.stderr).toContain(
      `hint: Use it: \`blueprint --root ${root} dashboard url\` prints a login link to it. Or stop it first (\`systemctl stop blueprint-web\`, or Ctrl-C where it was started).`,
    );
    const j = await run(['--root', root, '--json', 'dashboard', '--no-token']);
    expect(j.code).toBe(5);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'dashboard-running' });
  });
});
