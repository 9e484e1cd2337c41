// The first boot, end to end: the image under qemu (TCG), the setup wizard on the serial console,
// answered from here; then the admin's SSH login with the key, `blueprint --json status`, and the
// live system checked from inside: listeners, firewall, sysctls, AppArmor.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireImage } from './image.js';
import { Guest } from './qemu.js';

const HOSTNAME = 'bp-e2e';
const ENTER = '\r';
const CTRL_U = '\x15';

describe('first boot under qemu', () => {
  const guest = new Guest();
  const key = path.join(guest.dir, 'admin_ed25519');
  let started = 0;

  beforeAll(async () => {
    requireImage();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@e2e', '-f', key]);
    started = Date.now();
    await guest.start();
  });
  afterAll(() => guest.stop());

  const asAdmin = (...command: string[]) =>
    guest.ssh('admin', command, ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no']);

  /** Waits for a wizard step's title, then gives the answer. */
  async function answer(title: RegExp, keys: string, from: number): Promise<number> {
    const at = await guest.waitFor(title, 120_000, from);
    await new Promise((r) => setTimeout(r, 500)); // let Ink finish drawing the step before typing
    await guest.type(keys);
    return at;
  }

  let pos = 0;
  it('shows the setup wizard on the serial console', { timeout: 420_000 }, async () => {
    pos = await guest.waitFor(/Name of this box on the network/, 400_000);
    console.info(
      `image boot: wizard on the serial console after ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
  });

  it('takes the answers: host name, admin key, SSH on', { timeout: 600_000 }, async () => {
    await guest.type(`${CTRL_U}${HOSTNAME}`);
    await guest.type(ENTER);
    pos = await answer(/IANA time zone/, ENTER, pos);
    pos = await answer(/User name of the administrator/, ENTER, pos);
    pos = await answer(/Paste admin's SSH public key/, readFileSync(`${key}.pub`, 'utf8').trim(), pos);
    await guest.type(ENTER);
    pos = await answer(/Let SSH listen\?/, 'y', pos);
    pos = await answer(/URL of the package repository/, ENTER, pos);
    pos = await answer(/GPU check[\s\S]*Press Enter to continue/, ENTER, pos);
    // The modules step is offered only when the package manager can reach a repository.
    const next = await guest.waitFor(/Modules to install and start|Apply these changes\?/, 120_000, pos);
    if (/Modules to install/.test(guest.console.slice(pos, next)))
      pos = await answer(/Modules to/, ENTER, pos);
    const summary = await guest.waitFor(/Apply these changes\?/, 120_000, pos);
    expect(guest.console.slice(pos, summary)).toMatch(/SSH on/);
    pos = await answer(/Apply these changes\?/, 'y', pos);
    // Setup writes the marker last; the console then closes the wizard for the login prompt.
    await guest.waitFor(/change\(s\) written|login:/, 300_000, pos);
    await guest.type(ENTER); // closes the wizard's last screen, if it is still open
    console.info(`image boot: setup applied after ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  it('lets the admin in over SSH with the key, where blueprint --json status answers', async () => {
    let result = await asAdmin('blueprint', '--json', 'status');
    for (let i = 0; result.code !== 0 && i < 30; i++) {
      await new Promise((r) => setTimeout(r, 3000)); // sshd may still be starting
      result = await asAdmin('blueprint', '--json', 'status');
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ hostname: HOSTNAME });
  });

  it('refuses password login: the server offers public keys only', async () => {
    const result = await guest.ssh(
      'admin',
      ['true'],
      ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'],
    );
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
    const root = await guest.ssh('root', ['true'], ['-i', key, '-o', 'IdentitiesOnly=yes']);
    expect(root.code).toBe(255);
  });

  it('listens on nothing outside loopback but SSH and the DHCP client', async () => {
    const { stdout, code } = await asAdmin('ss', '-H', '-l', '-n', '-t', '-u');
    expect(code).toBe(0);
    const exposed = stdout
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .map(([proto, , , local]) => ({ proto, local: local ?? '' }))
      .filter(({ local }) => !/^(127\.|\[::1\]|::1)/.test(local) && !local.startsWith('127.0.0.53%lo'))
      .map(({ proto, local }) => `${proto} ${local}`);
    const expected = /^(tcp (0\.0\.0\.0|\*|\[::\]):22|udp \S+:68)$/;
    expect(exposed.filter((l) => !expected.test(l))).toEqual([]);
    expect(exposed.some((l) => /^tcp .*:22$/.test(l))).toBe(true);
  });

  it('runs with the firewall, the sysctls and AppArmor in force', async () => {
    const live = await asAdmin(
      'sudo',
      '-n',
      'sh',
      '-c',
      'nft -j list chain inet blueprint input; sysctl -n kernel.kptr_restrict fs.protected_fifos kernel.unprivileged_bpf_disabled; cat /sys/module/apparmor/parameters/enabled; systemctl is-enabled ssh.service; test -e /var/lib/blueprint/setup-done && echo set-up',
    );
    expect(live.code).toBe(0);
    const [nft = '', ...rest] = live.stdout.trim().split('\n');
    expect(JSON.stringify(JSON.parse(nft))).toMatch(/"policy":"drop"/);
    expect(rest).toEqual(['2', '2', '1', 'Y', 'enabled', 'set-up']);
  });
});
