/**
 * `blueprint audit network` on a box with a DHCP lease (QA13's walk): the DHCP client's socket
 * (udp 68 bound to the leased address; udp6 546 for DHCPv6) was flagged EXPOSED and the audit exited
 * 1 on every such box, though the image's own boot test expects it (test/image/boot.test.ts) and
 * image/README.md says it is the one UDP socket beyond loopback. It is judged by who holds it, as
 * the kernel says (the socket's inode among a process's descriptors, that process's executable),
 * not by its port: a DHCP client's program is noted and not flagged; anything else on those ports
 * stays flagged, saying so. A fixture /proc, as test/services/audit.test.ts.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditNetwork } from '../../src/core/system/network.js';
import { listenerRoleText } from '../../src/present/host.js';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, inode: number) =>
  `   0: ${local} 00000000:0000 07 00000000:00000000 00:00000000 00000000   998        0 ${inode} 2 0000000000000000 0\n`;

/** A process of the fixture /proc: its executable and the sockets among its descriptors. */
async function proc(root: string, pid: number, exe: string, inodes: number[]): Promise<void> {
  const dir = path.join(root, 'proc', String(pid));
  await mkdir(path.join(dir, 'fd'), { recursive: true });
  await symlink(exe, path.join(dir, 'exe'));
  await writeFile(path.join(dir, 'comm'), `${path.basename(exe).slice(0, 15)}\n`);
  await symlink('/dev/null', path.join(dir, 'fd', '0'));
  for (const [i, inode] of inodes.entries())
    await symlink(`socket:[${inode}]`, path.join(dir, 'fd', String(i + 3)));
}

async function box(tag: string, udp: string, udp6: string): Promise<string> {
  const root = tempDir(tag);
  await mkdir(path.join(root, 'proc/net'), { recursive: true });
  const w = (f: string, text: string) => writeFile(path.join(root, 'proc/net', f), text);
  await Promise.all([w('tcp', HEAD), w('tcp6', HEAD), w('udp', HEAD + udp), w('udp6', HEAD + udp6)]);
  await w('unix', 'Num       RefCount Protocol Flags    Type St Inode Path\n');
  return root;
}

let leased: string;
beforeAll(async () => {
  // systemd-networkd's DHCPv4 client on 10.0.2.15:68 and its DHCPv6 client on fe80::…:546.
  leased = await box(
    'bp-audit-dhcp-',
    row('0F02000A:0044', 31),
    row('000080FE00000000FF0554520F0200FE:0222', 32),
  );
  await proc(leased, 412, '/usr/lib/systemd/systemd-networkd', [31, 32]);
  await proc(leased, 1, '/usr/lib/systemd/systemd', []);
});

describe('audit network: the DHCP client', () => {
  it('notes the DHCP client by its program and does not flag it', async () => {
    const dhcp = (await auditNetwork(leased)).filter((l) => l.proto.startsWith('udp'));
    const client = { kind: 'dhcp-client', program: '/usr/lib/systemd/systemd-networkd' } as const;
    expect(dhcp.map((l) => [`${l.proto} ${l.port}`, l.flagged, l.role])).toEqual([
      ['udp 68', false, client],
      ['udp6 546', false, client],
    ]);
    expect(listenerRoleText(client)).toBe('DHCP client (systemd-networkd)');
    const r = await run(['--root', leased, 'audit', 'network']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok +udp +10\.0\.2\.15:68 +\(DHCP client \(systemd-networkd\)\)/);
    // --json as before: each listener's note in words (and now its role, the code).
    const j = await run(['--root', leased, '--json', 'audit', 'network']);
    const udp = JSON.parse(j.stdout).listeners.find((l: { proto: string }) => l.proto === 'udp');
    expect(udp).toMatchObject({ flagged: false, note: 'DHCP client (systemd-networkd)', role: client });
  });

  it('flags another program on the DHCP port, and a socket nobody is seen holding', async () => {
    const root = await box(
      'bp-audit-dhcp-other-',
      row('00000000:0044', 41) + row('0F02000A:0044', 42),
      HEAD.slice(0, 0),
    );
    // A program of anyone's, named as networkd is (comm is the process's to set): its executable says otherwise.
    await proc(root, 700, '/home/mallory/systemd-networkd', [41]);
    const udp = (await auditNetwork(root)).filter((l) => l.proto === 'udp');
    const mallory = { kind: 'dhcp-port', program: '/home/mallory/systemd-networkd' } as const;
    expect(udp.map((l) => [l.address, l.flagged, l.role])).toEqual([
      ['0.0.0.0', true, mallory],
      ['10.0.2.15', true, undefined],
    ]);
    const r = await run(['--root', root, 'audit', 'network']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "EXPOSED  udp   0.0.0.0:68  (the DHCP client's port, held by /home/mallory/systemd-networkd)",
    );
  });
});
