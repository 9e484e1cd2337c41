import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  type ApplianceSpec,
  applyPlan,
  type ModuleOps,
  pendingChanges,
  planSetup,
  specSchema,
} from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { ensureSshdPrivsep, hasNft, hasSshd, sshPublicKey } from './helpers.js';

const box = boxPerTest('apply');

const key = sshPublicKey('ops@laptop');
const spec = (over: Partial<ApplianceSpec> = {}): ApplianceSpec =>
  specSchema.parse({
    hostname: 'box-01',
    timezone: 'Europe/Paris',
    users: [{ name: 'admin', keys: [key] }],
    ssh: { enabled: true },
    ...over,
  });

async function applySpec(s: ApplianceSpec, ops?: ModuleOps) {
  return applyPlan(await planSetup(box.root, s, [], ops), ops ? { ops } : {});
}
const at = box.at;

describe('setup apply on a temp root', () => {
  it('writes host name, time zone, admin account, keys, SSH and firewall, then the marker', async () => {
    // A Debian-like base: existing accounts keep their lines and numbers.
    await mkdir(at('etc'), { recursive: true });
    await writeFile(
      at('etc/passwd'),
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n',
    );
    await writeFile(at('etc/group'), 'root:x:0:\nsudo:x:27:\nshadow:x:42:\nalice:x:1000:\n');
    await writeFile(at('etc/shadow'), 'root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n', {
      mode: 0o640,
    });
    await writeFile(at('etc/gshadow'), 'root:*::\nsudo:*::\nshadow:*::\nalice:!::\n', { mode: 0o640 });

    const result = await applySpec(spec());
    expect(result.changed.length).toBeGreaterThan(10);
    expect(result.commands).toEqual([]); // not the live system: nothing is run

    expect(await readFile(at('etc/hostname'), 'utf8')).toBe('box-01\n');
    expect(await readlink(at('etc/localtime'))).toBe('/usr/share/zoneinfo/Europe/Paris');
    expect(await readFile(at('etc/passwd'), 'utf8')).toContain(
      '\nadmin:x:1001:1001::/home/admin:/bin/bash\n',
    );
    expect(await readFile(at('etc/passwd'), 'utf8')).toContain('alice:x:1000:1000:');
    expect(await readFile(at('etc/group'), 'utf8')).toMatch(/^sudo:x:27:admin$/m);
    expect(await readFile(at('etc/group'), 'utf8')).toMatch(/^admin:x:1001:$/m);
    expect(await readFile(at('etc/shadow'), 'utf8')).toMatch(/^admin:\*:/m);
    expect((await stat(at('etc/shadow'))).mode & 0o777).toBe(0o640);
    expect(await readFile(at('etc/gshadow'), 'utf8')).toMatch(/^sudo:\*::admin$/m);

    const ak = await stat(at('home/admin/.ssh/authorized_keys'));
    expect([ak.mode & 0o777, ak.uid, ak.gid]).toEqual([0o600, 1001, 1001]);
    const dotSsh = await stat(at('home/admin/.ssh'));
    expect([dotSsh.mode & 0o777, dotSsh.uid]).toEqual([0o700, 1001]);
    expect(await readFile(at('home/admin/.ssh/authorized_keys'), 'utf8')).toBe(`${key}\n`);
    expect((await stat(at('etc/sudoers.d/50-blueprint'))).mode & 0o777).toBe(0o440);

    const sshd = await readFile(at('etc/ssh/sshd_config.d/50-blueprint.conf'), 'utf8');
    for (const line of [
      'PasswordAuthentication no',
      'PermitRootLogin no',
      'MaxAuthTries 3',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      'AllowUsers admin',
    ])
      expect(sshd).toContain(`\n${line}\n`);
    expect(sshd).toMatch(
      /^Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com$/m,
    );
    expect(await readlink(at('etc/systemd/system/multi-user.target.wants/ssh.service'))).toBe(
      '/lib/systemd/system/ssh.service',
    );
    const nft = await readFile(at('etc/nftables.conf'), 'utf8');
    expect(nft).toContain('type filter hook input priority filter; policy drop;');
    expect(nft).toContain('type filter hook forward priority filter; policy drop;');
    // Only the echo-request limit (icmp-echo-limit) lies between loopback and established.
    expect(nft).toMatch(
      /iif "lo" accept\n(?:\s+#.*\n|\s+icmp(?:v6)? type echo-request [^\n]*\n)*\s+ct state established,related accept/,
    );
    expect(nft).toMatch(/tcp dport 22 ct state new .* accept/);
    expect(JSON.parse(await readFile(at('var/lib/blueprint/setup-done'), 'utf8'))).toMatchObject({
      hostname: 'box-01',
    });
  });

  it('changes nothing the second time', async () => {
    await applySpec(spec());
    const before = await lstat(at('etc/passwd'));
    const plan = await planSetup(box.root, spec(), []);
    expect(pendingChanges(plan)).toEqual([]);
    expect((await applyPlan(plan)).changed).toEqual([]);
    expect((await lstat(at('etc/passwd'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('repairs a mode someone loosened, and turns SSH off: no unit link, no port 22 in the firewall', async () => {
    await applySpec(spec());
    execFileSync('chmod', ['644', at('home/admin/.ssh/authorized_keys')]);
    const plan = await planSetup(box.root, spec({ ssh: { enabled: false, port: 22 } }), []);
    expect(pendingChanges(plan).find((c) => c.target.endsWith('authorized_keys'))?.detail).toBe(
      'mode 0644 -> 0600',
    );
    await applyPlan(plan);
    expect((await stat(at('home/admin/.ssh/authorized_keys'))).mode & 0o777).toBe(0o600);
    await expect(lstat(at('etc/systemd/system/multi-user.target.wants/ssh.service'))).rejects.toThrow(
      /ENOENT/,
    );
    expect(await readFile(at('etc/nftables.conf'), 'utf8')).not.toContain('dport 22');
  });

  it.skipIf(!hasSshd)('writes a drop-in that the real sshd accepts', async () => {
    await applySpec(spec({ ssh: { enabled: true, port: 2222 } }));
    ensureSshdPrivsep();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', at('hostkey')]);
    await writeFile(
      at('sshd_test.conf'),
      `Include ${at('etc/ssh/sshd_config.d/*.conf')}\nHostKey ${at('hostkey')}\n`,
    );
    // -T prints the effective configuration: our values must be the ones in force.
    const effective = execFileSync('/usr/sbin/sshd', ['-T', '-f', at('sshd_test.conf')]).toString();
    expect(effective).toMatch(/^port 2222$/m);
    expect(effective).toMatch(/^permitrootlogin no$/m);
    expect(effective).toMatch(/^maxauthtries 3$/m);
    expect(effective).toMatch(
      /^ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com$/m,
    );
  });

  it.skipIf(!hasNft)('writes firewall rules that nft parses', async () => {
    await applySpec(spec());
    execFileSync('/usr/sbin/nft', ['-c', '-f', at('etc/nftables.conf')]);
  });

  it('refuses before writing anything when modules are asked for and no package manager is wired', async () => {
    const plan = await planSetup(box.root, spec({ modules: [{ name: 'llm', state: 'running' }] }), []);
    await expect(applyPlan(plan)).rejects.toMatchObject({ code: 'blocked' });
    await expect(lstat(at('etc'))).rejects.toThrow(/ENOENT/);
  });

  it('installs and starts modules through the package and service interface, once', async () => {
    const calls: string[] = [];
    const installed = new Set<string>();
    const running = new Set<string>();
    const ops: ModuleOps = {
      trustedKeys: async () => [],
      trustKey: async () => '',
      repositories: async () => [],
      addRepository: async () => {},
      removeRepository: async () => {},
      installed: async () => [...installed],
      install: async (n) => {
        calls.push(`install ${n}`);
        for (const x of n) installed.add(x);
      },
      remove: async (n) => {
        calls.push(`remove ${n}`);
        for (const x of n) installed.delete(x);
      },
      registered: async () => [...installed],
      running: async () => [...running],
      start: async (n) => {
        calls.push(`start ${n}`);
        running.add(n);
      },
      stop: async (n) => {
        calls.push(`stop ${n}`);
        running.delete(n);
      },
    };
    const mods = (state: 'running' | 'absent') =>
      spec({ modules: [{ name: 'llm', state, resources: { memory: '4g' } }] });
    await applySpec(mods('running'), ops);
    await applySpec(mods('running'), ops);
    await applySpec(mods('absent'), ops);
    expect(calls).toEqual(['install llm', 'start llm', 'stop llm', 'remove llm']);
    await expect(lstat(at('etc/blueprint/overrides/llm.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('pure parts', () => {
  it('puts the host name on 127.0.1.1 in /etc/hosts and keeps the other lines', async () => {
    const { hostsFile } = await import('../../src/core/setup/configs.js');
    const debian = '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n10.0.0.5\tnas\n';
    expect(hostsFile(debian, 'box-01')).toBe('127.0.0.1\tlocalhost\n127.0.1.1\tbox-01\n10.0.0.5\tnas\n');
    expect(hostsFile('127.0.0.1 localhost\n', 'box-01')).toBe('127.0.0.1 localhost\n127.0.1.1\tbox-01\n');
    expect(hostsFile(undefined, 'b')).toMatch(/^127\.0\.0\.1\tlocalhost\n127\.0\.1\.1\tb\n::1/);
  });

  it('lists the commands that make a live system pick the changes up', async () => {
    const plan = await planSetup(box.root, spec(), []);
    expect(plan.live).toEqual([
      ['hostname', 'box-01'],
      // Default-deny egress (issue 19): DHCP, resolver, clock, firewall, then the name sets' filler.
      ['networkctl', 'reload'],
      ['systemctl', 'restart', 'systemd-resolved.service'],
      ['systemctl', 'restart', 'systemd-timesyncd.service'],
      ['nft', '-f', '/etc/nftables.conf'],
      ['systemctl', 'restart', 'dnsmasq.service'],
      ['systemctl', 'try-restart', 'apt-daily.timer', 'apt-daily-upgrade.timer'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', 'ssh.service'],
    ]);
    await applyPlan(plan);
    expect((await planSetup(box.root, spec(), [])).live).toEqual([]);
  });
});
