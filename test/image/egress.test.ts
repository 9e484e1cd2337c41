// Default-deny egress in the booted image (issue 19). The box is provisioned headlessly with a
// package repository that the test serves from this host: qemu's user network puts the host's
// loopback at 10.0.2.2, so one port there plays the allowed repository and another port plays
// "anywhere else". No address on a real network is ever contacted (NTP none, no updates).
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, realpathSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { provisioningDisk, requireImage } from './image.js';
import { Guest } from './qemu.js';

const GATEWAY = '10.0.2.2';
const PROBE = 'egress-probe';

/** A static file server for the repository folder on 127.0.0.1; counts what it was asked. */
async function serveRepository(dir: string): Promise<{ server: http.Server; port: number; asked: string[] }> {
  const asked: string[] = [];
  const top = realpathSync(dir);
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    const file = path.resolve(top, `.${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`);
    let ok = false;
    try {
      ok = file.startsWith(`${top}/`) && statSync(file).isFile();
    } catch {}
    if (!ok) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, asked };
}

describe('default-deny egress in the booted image', () => {
  const guest = new Guest();
  const key = path.join(guest.dir, 'admin_ed25519');
  let repo: Awaited<ReturnType<typeof serveRepository>>;
  let elsewhere: net.Server;
  let elsewherePort = 0;
  let elsewhereConnections = 0;

  const asAdmin = (command: string) =>
    guest.ssh('admin', [command], ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no']);
  const asRoot = (command: string) => asAdmin(`sudo -n sh -c '${command}'`);

  beforeAll(async () => {
    requireImage();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@egress', '-f', key]);
    const signing = await makeKey(path.join(guest.dir, 'key'));
    const repoDir = path.join(guest.dir, 'repo');
    await buildRepo(repoDir, signing, [
      makeSource(path.join(guest.dir, 'src'), { name: PROBE, version: '1.0.0' }),
    ]);
    repo = await serveRepository(repoDir);
    // "Anywhere else": a listener that counts every connection that reaches it.
    elsewhere = net.createServer((socket) => {
      elsewhereConnections++;
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewherePort = (elsewhere.address() as net.AddressInfo).port;
    const disk = provisioningDisk(
      guest.dir,
      {
        hostname: 'bp-egress',
        admin: { name: 'admin', keys: [readFileSync(`${key}.pub`, 'utf8').trim()] },
        ssh: { enabled: true },
        network: { ntp: 'none', unattendedUpgrades: false },
        repository: {
          name: 'test',
          url: `http://${GATEWAY}:${repo.port}`,
          key: 'repo.asc',
          fingerprint: signing.fingerprint,
        },
        // Fetched by setup itself: its firewall must be in force before it installs.
        modules: [{ name: PROBE, state: 'installed' }],
      },
      { 'repo.asc': signing.publicKey },
    );
    await guest.start({ disks: [disk] });
  });
  afterAll(async () => {
    await guest.stop();
    repo?.server.close();
    elsewhere?.close();
  });

  it('is set up from the answers, the package fetched through the firewall', {
    timeout: 600_000,
  }, async () => {
    await guest.waitFor(/setting up from answers\.json on the BLUEPRINT disk/, 400_000);
    await guest.waitForSsh('admin', ['-i', key, '-o', 'IdentitiesOnly=yes'], 100);
    let status = await asAdmin('blueprint --json status');
    for (let i = 0; i < 60 && !/"setUp":\s*true/.test(status.stdout); i++) {
      await new Promise((r) => setTimeout(r, 3000));
      status = await asAdmin('blueprint --json status');
    }
    expect(JSON.parse(status.stdout), guest.tail()).toMatchObject({ setUp: true });
    const list = await asRoot('bpkg --json list');
    expect(list.stdout, list.stderr).toContain(PROBE);
    expect(repo.asked.some((u) => u.endsWith('.bpkg'))).toBe(true);
  });

  it('reaches the configured repository and nothing else', { timeout: 300_000 }, async () => {
    const rules = await asRoot('nft -j list chain inet blueprint output');
    expect(JSON.parse(rules.stdout).nftables[1].chain).toMatchObject({ policy: 'drop' });
    const before = repo.asked.length;
    const update = await asRoot('bpkg update');
    expect(update.code, update.stderr).toBe(0);
    expect(repo.asked.length).toBeGreaterThan(before);
    // The same host, another port: dropped in the box (its SYNs retried until the timeout gives
    // up), never seen here.
    const tcp = (port: number) =>
      asAdmin(`timeout 8 bash -c "exec 3<>/dev/tcp/${GATEWAY}/${port}" && echo open || echo closed`);
    expect((await tcp(repo.port)).stdout.trim()).toBe('open');
    for (let i = 0; i < 2; i++) expect((await tcp(elsewherePort)).stdout.trim()).toBe('closed');
    expect(elsewhereConnections).toBe(0);
    const log = await asRoot('journalctl -k -q --no-pager | grep "blueprint egress blocked"');
    expect(log.stdout).toMatch(new RegExp(`DST=${GATEWAY.replaceAll('.', '\\.')} .*DPT=${elsewherePort} `));
  });

  it('counts both in blueprint audit outbound --json', { timeout: 300_000 }, async () => {
    const audit = await asRoot('blueprint --json audit outbound');
    expect(audit.code, audit.stderr).toBe(0);
    const report = JSON.parse(audit.stdout) as {
      live: boolean;
      counters: Record<string, { packets: number }>;
      flows: {
        verdict: string;
        address: string;
        proto: string;
        port: number;
        rule?: string;
        packets: number;
      }[];
    };
    expect(report.live).toBe(true);
    const flow = (verdict: string, port: number) =>
      report.flows.find((f) => f.verdict === verdict && f.address === GATEWAY && f.port === port);
    expect(flow('allowed', repo.port)).toMatchObject({ proto: 'tcp', rule: 'repositories' });
    expect(flow('blocked', elsewherePort)).toMatchObject({ proto: 'tcp' });
    expect(flow('blocked', elsewherePort)!.packets).toBeGreaterThanOrEqual(3);
    expect(flow('allowed', elsewherePort)).toBeUndefined();
    expect(report.counters.out_blocked!.packets).toBeGreaterThanOrEqual(3);
    expect(report.counters.out_repositories!.packets).toBeGreaterThan(0);
  });
});
