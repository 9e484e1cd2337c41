import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { treeSocketInodes } from '../helpers/sockets.js';
import {
  connects,
  env,
  freePort,
  runnable,
  setUpDashboard,
  viaTunnel,
  waitFor,
} from './dashboard-harness.js';

/**
 * The SSH tunnel to the dashboard (dashboard-harness.ts) and what it must not open: a request
 * without a session or for another Host is refused, the admin can forward nothing else, and the
 * dashboard listens on its unix socket alone. No browser is needed for these.
 */
const d = setUpDashboard();

/** Listening sockets as `blueprint audit network` reports them for the host. */
async function audit(): Promise<
  Array<{ proto: string; address: string; port: number | null; inode: number; flagged: boolean }>
> {
  const r = await run(['--root', '/', '--json', 'audit', 'network'], { env });
  // Exit 1 when anything on this host is flagged (another test's listener): the list is what counts.
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout).listeners;
}

describe.skipIf(!runnable)('the web dashboard through an SSH tunnel', () => {
  it('refuses a request through the tunnel with no session (401) or another Host (421)', async () => {
    const { port } = d;
    expect((await viaTunnel(port, '/')).status).toBe(401);
    expect((await viaTunnel(port, '/services')).status).toBe(401);
    expect((await viaTunnel(port, '/', { headers: { host: `rebind.example:${port}` } })).status).toBe(421);
  });

  it('lets the admin forward nothing else: no remote forward, no socket the admin cannot open', async () => {
    const { port, sshOpts } = d;
    // -R: sshd refuses (PermitListen none), so ssh exits at once (ExitOnForwardFailure).
    const remote = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn('ssh', ['-N', '-R', `127.0.0.1:${port + 1}:127.0.0.1:22`, ...sshOpts]);
      let err = '';
      c.stderr.on('data', (x) => (err += x));
      const timer = setTimeout(() => c.kill(), 15_000);
      c.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, err });
      });
    });
    expect(remote.code).not.toBe(0);
    expect(remote.err).toMatch(/remote port forwarding failed/i);
    // -L to the engine's socket (root's alone): the forward opens locally, sshd cannot connect.
    const enginePort = await freePort();
    const fwd = spawn('ssh', ['-N', '-L', `${enginePort}:/run/podman/podman.sock`, ...sshOpts], {
      stdio: 'ignore',
    });
    d.cleanups.push(() => fwd.kill());
    await waitFor('the second forward', () => connects(enginePort));
    const answer = await new Promise<string>((resolve) => {
      const c = net.connect(enginePort, '127.0.0.1', () => c.write('GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n'));
      let got = '';
      c.on('data', (x) => (got += x));
      c.on('close', () => resolve(got));
      c.on('error', () => resolve(got));
    });
    expect(answer).toBe('');
    fwd.kill();
  }, 60_000);

  it('adds no network listener: `blueprint audit network` sees only its unix socket', async () => {
    const now = await audit();
    // Judged by owner, not by a before/after diff of the whole machine: other tests running at the
    // same time open sockets of their own (a clean-clone run saw two UDP ones from elsewhere).
    const mine = await treeSocketInodes(d.dashboard.pid!);
    const ours = now.filter((l) => mine.has(l.inode));
    expect(ours.map((l) => [l.proto, l.address])).toEqual([
      ['unix', path.join(d.root, 'run/blueprint/dashboard.sock')],
    ]);
    expect(ours.filter((l) => l.flagged)).toEqual([]);
  });
});
