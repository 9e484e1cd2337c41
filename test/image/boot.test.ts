// The first boot, end to end: the image under qemu (TCG), the setup wizard on the serial console,
// answered from here; then the admin's SSH login with the key, `blueprint --json status`, and the
// live system checked from inside: listeners, firewall, sysctls, AppArmor.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDir, requireImage, rootfs } from './image.js';
import { Guest } from './qemu.js';
import { answerWizard } from './wizard.js';

const HOSTNAME = 'bp-e2e';

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

  it('shows the setup wizard on the serial console', { timeout: 600_000 }, async () => {
    await guest.waitFor(/Step 1 of \d+: Host name[\s\S]*Name of this box on the network/, 580_000);
    console.info(
      `image boot: wizard on the serial console after ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
  });

  it('takes the answers: host name, admin key, SSH on', { timeout: 900_000 }, async () => {
    await answerWizard(guest, { hostname: HOSTNAME, key });
    console.info(`image boot: setup applied after ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  it('lets the admin in over SSH with the key, where blueprint --json status answers', async () => {
    let result = await asAdmin('blueprint', '--json', 'status');
    for (let i = 0; result.code !== 0 && i < 30; i++) {
      await new Promise((r) => setTimeout(r, 3000)); // sshd may still be starting
      result = await asAdmin('blueprint', '--json', 'status');
    }
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ setUp: true, host: { hostname: HOSTNAME } });
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
      .map(([proto, , , , local]) => ({ proto, local: local ?? '' }))
      .filter(({ local }) => !/^(127\.|\[::1\]|::1)/.test(local) && !local.startsWith('127.0.0.53%lo'))
      .map(({ proto, local }) => `${proto} ${local}`);
    // sshd on every address; the DHCP clients' sockets bound to the leased address.
    const expected = /^(tcp (0\.0\.0\.0|\*|\[::\]):22|udp \S+:(68|546))$/;
    expect(exposed.filter((l) => !expected.test(l))).toEqual([]);
    expect(exposed.some((l) => /^tcp .*:22$/.test(l))).toBe(true);
  });

  it('runs with the firewall, the sysctls, AppArmor and the service watcher in force', async () => {
    // ssh joins its arguments into one command line for the remote shell: pass one string.
    const asRoot = (command: string) => asAdmin(`sudo -n sh -c '${command}'`);
    const nft = await asRoot('nft -j list ruleset');
    expect(nft.stderr).toBe('');
    const rules = JSON.parse(nft.stdout).nftables as Record<string, Record<string, unknown>>[];
    expect(rules.find((o) => o.chain?.name === 'input')?.chain).toMatchObject({ policy: 'drop' });
    expect(rules.find((o) => o.chain?.name === 'forward')?.chain).toMatchObject({ policy: 'drop' });
    expect(rules.filter((o) => o.rule && JSON.stringify(o.rule).includes('"right":22'))).toHaveLength(1);

    const sysctl = await asRoot(
      'sysctl -n kernel.kptr_restrict fs.protected_fifos kernel.unprivileged_bpf_disabled',
    );
    expect(sysctl.stdout.trim().split('\n')).toEqual(['2', '2', '1']);
    const apparmor = await asRoot(
      'cat /sys/module/apparmor/parameters/enabled; aa-status --enabled && echo on',
    );
    expect(apparmor.stdout.trim().split('\n')).toEqual(['Y', 'on']);
    const state = await asRoot(
      'systemctl is-active nftables.service ssh.service blueprint-services.service blueprint-dashboard.service; ls /var/lib/blueprint/setup-done; cat /proc/sys/kernel/core_pattern',
    );
    // The tty1 dashboard runs under its tightened sandbox (test/security/image-console-units), and no
    // service's core dump is written anywhere: systemd's `|/bin/false`, no handler installed.
    expect(state.stdout.trim().split('\n')).toEqual([
      'active',
      'active',
      'active',
      'active',
      '/var/lib/blueprint/setup-done',
      '|/bin/false',
    ]);
  });

  it('runs the kernel with the KSPP settings of image/README.md in force', { timeout: 300_000 }, async () => {
    const asRoot = (command: string) => asAdmin(`sudo -n sh -c '${command}'`);
    const log = (await asRoot('dmesg')).stdout;
    const about = /iommu|lockdown|page tables isolation|mem auto-init|unknown kernel/i;
    console.info(
      `image boot: what the kernel said about the KSPP settings:\n${log
        .split('\n')
        .filter((l) => about.test(l))
        .join('\n')}`,
    );
    // Every word of the built command line reached the kernel...
    const cmdline = (await asRoot('cat /proc/cmdline')).stdout.trim().split(/\s+/);
    const wanted = readFileSync(path.join(imageDir, 'cmdline'), 'utf8').trim().split(/\s+/);
    expect(wanted.filter((word) => !cmdline.includes(word))).toEqual([]);
    // ...and the kernel knew each one: an unknown word is only logged and handed to init. Linux 6.1
    // reads `pti=` itself (pti_check_boottime_disable) yet lists it as unknown; the log shows it took.
    const unknown = /Unknown kernel command line parameters "([^"]*)"/.exec(log)?.[1]?.split(/\s+/) ?? [];
    expect(unknown.filter((word) => word !== 'pti=on')).toEqual([]);
    expect(log).toMatch(/Kernel\/User page tables isolation: force enabled on command line/);
    expect(log).toMatch(/Kernel is locked down from command line/);
    expect(log).toMatch(/mem auto-init: stack:all\(zero\), heap alloc:on, heap free:on/);
    expect(log).toMatch(/iommu: Default domain type: Translated \(set via kernel command line\)/);
    expect(log).toMatch(
      /iommu: DMA domain TLB invalidation policy: strict mode \(set via kernel command line\)/,
    );

    const facts = await asRoot(
      [
        'cat /sys/kernel/security/lockdown',
        'cat /sys/module/module/parameters/sig_enforce',
        'grep -c "^flags.* pti" /proc/cpuinfo | sed "s/^[1-9][0-9]*$/pti/"',
        'grep -c vsyscall /proc/self/maps || true',
        'grep -c debugfs /proc/filesystems || true',
      ].join('; '),
    );
    const [lockdown, sigEnforce, pti, vsyscall, debugfs] = facts.stdout.trim().split('\n');
    expect(lockdown).toBe('none [integrity] confidentiality');
    expect(sigEnforce).toBe('Y');
    expect(pti).toBe('pti');
    expect(vsyscall).toBe('0');
    expect(debugfs).toBe('0');
    // Nothing of the box broke under lockdown and signature enforcement: no unit failed, the two
    // first-boot wizards included (blueprint-setup-done.service stops them with SIGTERM: exit 130,
    // or death by the signal for one already exiting, both success for their unit).
    const failed = (await asRoot('systemctl --failed --no-legend --plain')).stdout.trim();
    const wizards = await asRoot(
      'systemctl show -p Result -p ExecMainStatus blueprint-setup@tty1 blueprint-setup@ttyS0',
    );
    expect(failed, wizards.stdout).toBe('');
    expect(wizards.stdout.match(/^Result=.*$/gm)).toEqual(['Result=success', 'Result=success']);

    // Enforcement did not stop Debian's own (signed) modules: the engine's overlay filesystem loads.
    const overlay = await asRoot('modprobe overlay && grep -c "overlay$" /proc/filesystems');
    expect(overlay.stdout.trim(), overlay.stderr).toBe('1');
    // Lockdown in force: root cannot read or write physical memory through /dev/mem any more.
    const devmem = await asRoot('head -c 1 /dev/mem >/dev/null 2>&1 && echo readable || echo refused');
    expect(devmem.stdout.trim()).toBe('refused');

    // Every sysctl of the image's hardening file reads back from the running kernel as written: a key
    // this kernel does not have, or one another file overrides, fails here.
    const file = readFileSync(path.join(rootfs, 'etc/sysctl.d/99-zz-blueprint-hardening.conf'), 'utf8');
    const written = new Map(
      file
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.split('=').map((part) => part.trim()) as [string, string]),
    );
    const live = await asRoot(`sysctl ${[...written.keys()].join(' ')}`);
    expect(live.stderr).toBe('');
    const running = new Map(
      live.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=').map((part) => part.trim()) as [string, string]),
    );
    expect(Object.fromEntries(running)).toEqual(Object.fromEntries(written));
  });
});
