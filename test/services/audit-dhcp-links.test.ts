/**
 * `blueprint --root TREE status` / `audit network` read TREE/proc to name who holds the DHCP
 * ports (audit-dhcp.test.ts). A tree is anyone's: its proc/PID or proc/PID/fd may be links, and
 * following them let the walk read folders outside the tree, as many times as there are such links
 * (the per-process bounds, 32,768 processes of 65,536 descriptors, allowed 2^31 readlinks of one
 * large folder). Only real folders are walked: the kernel's /proc has no link at a PID or its fd.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { auditNetwork, dhcpHolders } from '../../src/core/system/network.js';
import { tempDir } from '../setup/temp-registry.js';

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, inode: number) =>
  `   0: ${local} 00000000:0000 07 00000000:00000000 00:00000000 00000000   998        0 ${inode} 2 0000000000000000 0\n`;

it("a process folder or descriptor folder that is a link is not walked: its 'holder' is not taken", async () => {
  const root = tempDir('bp-audit-dhcp-links-');
  const net = path.join(root, 'proc/net');
  await mkdir(net, { recursive: true });
  for (const f of ['tcp', 'tcp6', 'udp6']) await writeFile(path.join(net, f), HEAD);
  await writeFile(path.join(net, 'udp'), HEAD + row('0F02000A:0044', 51) + row('0F02000A:0044', 52));
  await writeFile(path.join(net, 'unix'), 'Num       RefCount Protocol Flags    Type St Inode Path\n');
  // Outside the tree: a folder that looks like networkd's process, holding both sockets.
  const elsewhere = tempDir('bp-audit-dhcp-elsewhere-');
  await mkdir(path.join(elsewhere, 'fd'));
  await symlink('/usr/lib/systemd/systemd-networkd', path.join(elsewhere, 'exe'));
  await symlink('socket:[51]', path.join(elsewhere, 'fd', '3'));
  await symlink('socket:[52]', path.join(elsewhere, 'fd', '4'));
  // proc/600 is a link to it; proc/601 is a real folder whose fd is a link to its fd.
  await symlink(elsewhere, path.join(root, 'proc/600'));
  await mkdir(path.join(root, 'proc/601'));
  await symlink('/usr/lib/systemd/systemd-networkd', path.join(root, 'proc/601/exe'));
  await symlink(path.join(elsewhere, 'fd'), path.join(root, 'proc/601/fd'));
  const udp = (await auditNetwork(root)).filter((l) => l.proto === 'udp');
  expect(udp.map((l) => [l.flagged, l.role])).toEqual([
    [true, undefined],
    [true, undefined],
  ]);
});

it("a tree's proc swapped for a link after its socket tables were read: the processes it leads to are not the tree's", async () => {
  // The walk of TREE/proc (dhcpHolders) starts after proc/net was read through the tree's folders:
  // an owner who swaps TREE/proc for a link in between (here before the walk is asked) had the
  // folder it leads to read by name, its networkd process named as the holder of the tree's sockets.
  const elsewhere = tempDir('bp-audit-dhcp-elsewhere-');
  await mkdir(path.join(elsewhere, '700/fd'), { recursive: true });
  await symlink('/usr/lib/systemd/systemd-networkd', path.join(elsewhere, '700/exe'));
  await symlink('socket:[61]', path.join(elsewhere, '700/fd/3'));
  const swapped = tempDir('bp-audit-dhcp-swapped-');
  await symlink(elsewhere, path.join(swapped, 'proc'));
  expect([...(await dhcpHolders(swapped, [61]))]).toEqual([]);
  // The control: the same folder as the tree's own proc is read.
  const own = tempDir('bp-audit-dhcp-own-');
  await mkdir(path.join(own, 'proc'));
  await symlink(path.join(elsewhere, '700'), path.join(own, 'proc/700'));
  await mkdir(path.join(own, 'proc/701/fd'), { recursive: true });
  await symlink('/usr/lib/systemd/systemd-networkd', path.join(own, 'proc/701/exe'));
  await symlink('socket:[61]', path.join(own, 'proc/701/fd/3'));
  expect([...(await dhcpHolders(own, [61]))]).toEqual([
    [61, { kind: 'dhcp-client', program: '/usr/lib/systemd/systemd-networkd' }],
  ]);
});
