/**
 * `blueprint --root TREE status` reads any tree (an image mounted to inspect, another user's
 * folder). Its fixed-name reads judged the file at its name (no link there, no FIFO) but followed a
 * link in a folder above it: `TREE/etc` a link to a folder of the same shape had its nftables.conf
 * (a firewall "default deny" the tree does not have), its network.json and repos.d (what the box
 * "lets out") and its sshd_config (the SSH port) shown as the tree's; `TREE/proc` a link had another
 * machine's listening sockets shown as the tree's. Now each is read through beneath.ts's
 * descriptors from the tree down (no link of the tree followed): the fact is unknown or absent,
 * never another file's. The real executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

const env = { CONTAINER_HOST: 'unix:///nonexistent/podman.sock', BLUEPRINT_RAUC_TIMEOUT_MS: '1000' };

/** One TCP listener on 0.0.0.0:4444, as the kernel's /proc/net/tcp writes it. */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
`;

/** An `etc` of a set-up box: blueprint's firewall letting 8443 in, egress to elsewhere, SSH on 2222. */
function fullEtc(etc: string): void {
  mkdirSync(path.join(etc, 'blueprint/repos.d'), { recursive: true });
  writeFileSync(
    path.join(etc, 'nftables.conf'),
    '#!/usr/sbin/nft -f\n# Managed by `blueprint setup` / `blueprint apply`: edits here are overwritten.\n    tcp dport 8443 ct state new accept\n',
  );
  writeFileSync(
    path.join(etc, 'blueprint/network.json'),
    JSON.stringify({ network: { allow: ['elsewhere.example.net:443'], ntp: 'none' } }),
  );
  writeFileSync(
    path.join(etc, 'blueprint/repos.d/main.json'),
    JSON.stringify({ name: 'main', url: 'https://repo.elsewhere.example.net/main' }),
  );
  mkdirSync(path.join(etc, 'systemd/system/multi-user.target.wants'), { recursive: true });
  writeFileSync(path.join(etc, 'systemd/system/multi-user.target.wants/ssh.service'), '');
  mkdirSync(path.join(etc, 'ssh'));
  writeFileSync(path.join(etc, 'ssh/sshd_config'), 'Port 2222\n');
}

async function statusOf(root: string) {
  const r = await run(['--root', root, '--json', 'status'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** What the tree's own files say, were they its own (the control: each fact is read). */
function expectElsewhereShown(doc: {
  exposure: { firewall: string; allowedPorts: number[]; sshPort?: number };
  egress: { destinations: string[] };
}) {
  expect(doc.exposure.firewall).toBe('blueprint');
  expect(doc.exposure.allowedPorts).toContain(8443);
  expect(doc.exposure.sshPort).toBe(2222);
  expect(doc.egress.destinations).toContain('elsewhere.example.net:443');
  expect(doc.egress.destinations.join(' ')).toContain('repo.elsewhere.example.net');
}

describe('status of a tree: links in the folders above its fixed-name files', () => {
  it('the same files as its own are read (the control)', async () => {
    const root = tempDir('bp-tree-own-');
    fullEtc(path.join(root, 'etc'));
    expectElsewhereShown(await statusOf(root));
  });

  it('TREE/etc a link out: no firewall, egress, repository or SSH port of the folder it leads to', async () => {
    const outside = tempDir('bp-tree-outside-');
    fullEtc(outside);
    const root = tempDir('bp-tree-etc-link-');
    symlinkSync(outside, path.join(root, 'etc'));
    const doc = await statusOf(root);
    expect(doc.exposure.firewall).toBe('none');
    expect(doc.exposure.allowedPorts).toEqual([]);
    expect(doc.exposure.sshPort).toBeUndefined();
    expect(JSON.stringify(doc.egress)).not.toContain('elsewhere.example.net');
  });

  it('TREE/etc/blueprint and TREE/etc/ssh links out (TREE/etc its own): neither followed', async () => {
    const outside = tempDir('bp-tree-outside-');
    fullEtc(outside);
    const root = tempDir('bp-tree-sub-link-');
    mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    writeFileSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'), '');
    symlinkSync(path.join(outside, 'blueprint'), path.join(root, 'etc/blueprint'));
    symlinkSync(path.join(outside, 'ssh'), path.join(root, 'etc/ssh'));
    const doc = await statusOf(root);
    expect(JSON.stringify(doc.egress)).not.toContain('elsewhere.example.net');
    // ssh.service is enabled in the tree; its port is not read from the linked folder: sshd's default.
    expect(doc.exposure.sshPort).toBe(22);
  });

  it("TREE/proc a link out: another machine's sockets are not the tree's", async () => {
    const outside = tempDir('bp-tree-outside-proc-');
    mkdirSync(path.join(outside, 'net'));
    writeFileSync(path.join(outside, 'net/tcp'), TCP);
    const root = tempDir('bp-tree-proc-link-');
    symlinkSync(outside, path.join(root, 'proc'));
    const doc = await statusOf(root);
    expect(doc.exposure).toMatchObject({ listeners: [], socketsRead: false });
    // The control: the same tables as the tree's own are read.
    const own = tempDir('bp-tree-own-proc-');
    mkdirSync(path.join(own, 'proc/net'), { recursive: true });
    writeFileSync(path.join(own, 'proc/net/tcp'), TCP);
    expect((await statusOf(own)).exposure).toMatchObject({
      socketsRead: true,
      listeners: [{ address: '0.0.0.0', port: 4444 }],
    });
  });

  it("another user's tree with var/lib/blueprint a link out: no packages, set-up or services of that folder", async () => {
    // Run as root (the tests' user); the tree is uid 1000's, so status only reads it.
    const outside = tempDir('bp-tree-outside-state-');
    const pkg = { version: '1.0.0', arch: 'all', summary: 'host', depends: [], origin: 'file', signer: 'x' };
    const packages = { hostsecret: { name: 'hostsecret', installed: '2026-01-01T00:00:00Z', ...pkg } };
    mkdirSync(path.join(outside, 'pkg'));
    writeFileSync(
      path.join(outside, 'pkg/installed.json'),
      JSON.stringify({ format: 1, txid: 'x', packages }),
    );
    writeFileSync(path.join(outside, 'setup-done'), '');
    const root = path.join(tempDir('bp-tree-state-link-'), 'tree');
    mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    symlinkSync(outside, path.join(root, 'var/lib/blueprint'));
    expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);
    const doc = await statusOf(root);
    expect(JSON.stringify(doc)).not.toContain('hostsecret');
    expect(doc.setUp).toBe(false);
    expect(doc.packagesError).toContain('var/lib/blueprint is a link: not followed');
  });
});
