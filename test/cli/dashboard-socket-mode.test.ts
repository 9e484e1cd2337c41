/**
 * `blueprint dashboard --help` said its socket is 0660 root:sudo on /run/blueprint, whatever the
 * box: the group is read from ROOT/etc/group, and with no sudo group there (the demo root has no
 * etc/group) the socket is left 0600, root's alone, under the root's own run folder. The help says
 * what happens now, and the start line says which it was. Through the built executable.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDashboardExe } from '../helpers/dashboard-exe.js';
import { run, tempDir } from '../helpers/pkg.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts the dashboard on `root`; resolves with its socket's stat and what it said once it listens. */
async function startOn(root: string) {
  // With its login link, as an admin starts it: the start line's ssh line too.
  const { child, said } = await startDashboardExe(root, children, []);
  const socket = path.join(root, 'run/blueprint/dashboard.sock');
  const st = statSync(socket);
  child.kill('SIGINT');
  return { mode: st.mode & 0o777, gid: st.gid, said: said() };
}

describe('the dashboard socket: what the help says is what happens', () => {
  it('help names the root-relative socket and both modes', async () => {
    const r = await run(['dashboard', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('root and the sudo group,\nmode 0660)');
    expect(r.stdout).toContain('ROOT/etc/group');
    expect(r.stdout).toContain('0600');
    expect(r.stdout).toContain('0660');
  });

  it('no sudo group in ROOT/etc/group: 0600 and said so; with one: 0660 to that group', async () => {
    const bare = tempDir('bp-dash-');
    const a = await startOn(bare);
    expect(a.mode).toBe(0o600);
    expect(a.said).toContain(`root only: ${bare}/etc/group has no sudo group`);
    // The ssh line a root-only socket can be forwarded by (QA24: it said ADMIN@BOX, whose login
    // cannot open it; the README's demo section says to forward it as root).
    expect(a.said).toContain(`ssh -L 8080:${bare}/run/blueprint/dashboard.sock root@BOX`);

    const withGroup = tempDir('bp-dash-');
    mkdirSync(path.join(withGroup, 'etc'));
    writeFileSync(path.join(withGroup, 'etc/group'), 'root:x:0:\nsudo:x:4242:admin\n');
    const b = await startOn(withGroup);
    expect(b.mode).toBe(0o660);
    expect(b.gid).toBe(4242);
    expect(b.said).toContain('root and the sudo group');
    expect(b.said).toContain(`ssh -L 8080:${withGroup}/run/blueprint/dashboard.sock ADMIN@BOX`);
  });
});
