import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSshdPrivsep, hasSshd, tempRoot } from '../setup/helpers.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

/**
 * A real sshd on 127.0.0.1, configured by the drop-in that `blueprint setup` wrote, and a real
 * account whose home is the admin's home under the temp root (so sshd checks the authorized_keys
 * and modes setup made). Needs root to add the account for the test's lifetime.
 */
const runnable = hasSshd && process.getuid?.() === 0;
/** The host's sudo, which the login hook runs the console through (the image has it). */
const hasSudo = existsSync('/usr/bin/sudo');
const user = `bpt${randomBytes(3).toString('hex')}`;
let root: string;
let work: string;
let port: number;
let sshd: ChildProcess | undefined;
const cleanups: (() => void | Promise<void>)[] = [];

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function waitForPort(p: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(p, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd never listened on ${p}`);
}

/** ssh to the test sshd as `login`, with the key made here or offering a password only. */
const sshArgs = (login = user, auth: 'key' | 'password' = 'key') => [
  ...(auth === 'key' ? ['-i', path.join(work, 'id')] : ['-o', 'PreferredAuthentications=password']),
  '-p',
  String(port),
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'BatchMode=yes',
  `${login}@127.0.0.1`,
];

describe.skipIf(!runnable)('SSH management against a real sshd', () => {
  beforeAll(async () => {
    requireExe();
    const a = await tempRoot('ssh-root');
    const b = await tempRoot('ssh-work');
    root = a.root;
    work = b.root;
    cleanups.push(a.cleanup, b.cleanup);
    await chmod(root, 0o755);
    await chmod(work, 0o755);
    const home = path.join(root, 'home', user);
    execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', '-G', 'sudo', user]);
    cleanups.push(async () => {
      // The login session's processes end a moment after its pane is killed; userdel refuses until then.
      for (let i = 0; i < 100; i++) {
        try {
          execFileSync('userdel', [user], { stdio: 'ignore' });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      execFileSync('userdel', ['-f', user], { stdio: 'ignore' });
    });
    // "*" like setup writes: useradd's "!" is a locked account, which sshd refuses even for keys.
    execFileSync('usermod', ['-p', '*', user]);
    const [uid, gid] = execFileSync('id', ['-u', user])
      .toString()
      .trim()
      .concat(':', execFileSync('id', ['-g', user]).toString().trim())
      .split(':')
      .map(Number) as [number, number];
    // The temp root knows the account with the host's numbers, so setup keeps them.
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/passwd'),
      `root:x:0:0:root:/root:/bin/bash\n${user}:x:${uid}:${gid}::/home/${user}:/bin/bash\n`,
    );
    await writeFile(path.join(root, 'etc/group'), `root:x:0:\nsudo:x:27:\n${user}:x:${gid}:\n`);

    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'fleet@ops',
      '-f',
      path.join(work, 'id'),
    ]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);
    const pub = execFileSync('cat', [path.join(work, 'id.pub')])
      .toString()
      .trim();
    await writeFile(
      path.join(work, 'answers.json'),
      JSON.stringify({ hostname: 'box-ssh', admin: { name: user, keys: [pub] }, ssh: { enabled: true } }),
    );
    execFileSync(exe, ['--root', root, 'setup', '--answers', path.join(work, 'answers.json')]);

    // How the box's login shell finds blueprint: on PATH, with this root (the image has /usr/bin).
    await writeFile(
      path.join(home, '.profile'),
      `export PATH="${path.dirname(exe)}:$PATH" BLUEPRINT_ROOT="${root}"\n. "${root}/etc/profile.d/blueprint-console.sh"\n`,
    );
    await chown(path.join(home, '.profile'), uid, gid);

    port = await freePort();
    await writeFile(
      path.join(work, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(work, 'hostkey')}`,
        `PidFile ${path.join(work, 'sshd.pid')}`,
        `Include ${root}/etc/ssh/sshd_config.d/*.conf`,
        '',
      ].join('\n'),
    );
    ensureSshdPrivsep();
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(work, 'sshd_config')], { stdio: 'ignore' });
    cleanups.push(() => void sshd?.kill());
    await waitForPort(port);
  });

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('opens the console on an interactive login; ! drops to a shell', async () => {
    const p = new Pane(['ssh', '-tt', ...sshArgs()], { width: 100, height: 30 });
    cleanups.push(() => p.kill());
    const screen = await p.waitFor('Exposure');
    await keepScreen('ssh-login', screen);
    expect(screen).toMatch(/Host\s+box-ssh/);
    expect(screen).toContain('! shell');
    p.keys('!');
    await p.waitFor(`${user}@`);
    p.text('echo SHELL-$((40+2))');
    p.keys('Enter');
    await p.waitFor('SHELL-42');
    p.text('exit');
    p.keys('Enter');
    await p.waitFor('EXIT=0');
  });

  it('q in the console ends the session', async () => {
    const p = new Pane(['ssh', '-tt', ...sshArgs()], { width: 80, height: 24 });
    cleanups.push(() => p.kill());
    await p.waitFor('Exposure');
    p.keys('q');
    await p.waitFor('EXIT=0');
  });

  it.skipIf(!hasSudo)(
    "runs the console as root through setup's sudoers: the Dashboard reads root's folders",
    async () => {
      // The registrations' folder is root's 0700, as on a box. The console run as the admin (seen on
      // the demo box) could not read it: every screen said permission denied.
      await mkdir(path.join(root, 'var/lib/blueprint/services'), { recursive: true, mode: 0o700 });
      const dashboard = async () => {
        const p = new Pane(['ssh', '-tt', ...sshArgs()], { width: 140, height: 30 });
        cleanups.push(() => p.kill());
        const screen = await p.waitFor('Exposure');
        p.keys('q');
        await p.waitFor('EXIT=0');
        return screen;
      };
      // No password-less sudo for this account on the host yet: the console still opens, as the admin.
      expect(await dashboard()).toMatch(/Services\s+permission denied/);
      // The sudoers setup wrote for the admin, put where the host's sudo reads it.
      const dropIn = `/etc/sudoers.d/bp-ssh-test-${process.pid}`;
      await writeFile(dropIn, await readFile(path.join(root, 'etc/sudoers.d/50-blueprint')), { mode: 0o440 });
      cleanups.push(() => rm(dropIn, { force: true }));
      const p = new Pane(['ssh', '-tt', ...sshArgs()], { width: 140, height: 30 });
      cleanups.push(() => p.kill());
      const screen = await p.waitFor('Exposure');
      expect(screen).not.toContain('permission denied');
      expect(screen).toMatch(/Services\s+\S/);
      expect(screen).toMatch(/Host\s+box-ssh/);
      // The shell key leaves the root console for the admin's own shell, not a root one.
      p.keys('!');
      await p.waitFor(`${user}@`);
      p.text('echo WHO-$(id -un)');
      p.keys('Enter');
      await p.waitFor(`WHO-${user}`);
      p.text('exit');
      p.keys('Enter');
      await p.waitFor('EXIT=0');
    },
  );

  it('runs a plain command with no console: ssh box blueprint --json status', () => {
    const out = execFileSync('ssh', [...sshArgs(), exe, '--root', root, '--json', 'status']).toString();
    expect(JSON.parse(out)).toMatchObject({ root });
  });

  it('refuses root and password logins, as the drop-in says', () => {
    const refused = (args: string[]) => {
      try {
        execFileSync('ssh', args, { stdio: 'pipe' });
        return false;
      } catch (err) {
        return /Permission denied/.test(String((err as { stderr: Buffer }).stderr));
      }
    };
    expect(refused([...sshArgs('root'), 'true'])).toBe(true);
    expect(refused([...sshArgs(user, 'password'), 'true'])).toBe(true);
  });
});
