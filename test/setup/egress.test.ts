import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { dnsmasqConf, egressDestinations } from '../../src/core/setup/egress.js';
import { configuredRepositories, rebuildEgress } from '../../src/core/setup/egress-disk.js';
import { type ApplianceSpec, planSetup } from '../../src/core/setup/index.js';
import { specDestinations } from '../../src/core/setup/resources.js';
import { mergeFlows, type OutboundFlow } from '../../src/core/system/egress-audit.js';
import { hasNft, sshAdminSpec as spec, tempRoot } from './helpers.js';

const hosts = (s: ApplianceSpec, configured: { name: string; url: string }[] = []) =>
  specDestinations(s, configured).map((d) => `${d.purpose} ${d.proto} ${d.host}:${d.port}`);

describe('the egress allow-list built from the configuration', () => {
  it('defaults: DNS from DHCP on port 53, Debian NTP pool, Debian mirror for unattended upgrades', () => {
    expect(hosts(spec())).toEqual([
      'dns udp *:53',
      'dns tcp *:53',
      'ntp udp 0.debian.pool.ntp.org:123',
      'ntp udp 1.debian.pool.ntp.org:123',
      'ntp udp 2.debian.pool.ntp.org:123',
      'ntp udp 3.debian.pool.ntp.org:123',
      'updates tcp deb.debian.org:80',
    ]);
  });

  it('chosen DNS over TLS, no NTP, no unattended upgrades, repositories from the spec and from disk', () => {
    const s = spec({
      network: {
        dns: { servers: ['9.9.9.9#dns.quad9.net', '2620:fe::fe#dns.quad9.net'], tls: true },
        ntp: 'none',
        unattendedUpgrades: false,
      },
      repositories: [{ name: 'main', url: 'https://repo.example.org/stable/', key: 'K' }],
    });
    expect(
      hosts(s, [
        { name: 'lab', url: 'http://[fd00::5]:8080/r' },
        { name: 'local', url: 'file:///srv/r' },
      ]),
    ).toEqual([
      'dns tcp 9.9.9.9:853',
      'dns tcp 2620:fe::fe:853',
      'repositories tcp repo.example.org:443',
      'repositories tcp fd00::5:8080',
    ]);
  });

  it("every mirror of a repository, OCI registries and S3 buckets (region from the box's AWS config)", async () => {
    const { root, cleanup } = await tempRoot('egress-repos');
    try {
      const d = path.join(root, 'etc/blueprint/repos.d');
      await mkdir(d, { recursive: true });
      const repo = (name: string, url: string, mirrors?: string[]) =>
        writeFile(
          path.join(d, `${name}.json`),
          JSON.stringify({ name, url, ...(mirrors ? { mirrors } : {}) }),
        );
      await repo('a', 'https://one.example.org/r', ['http://two.example.org:8080/r', 'file:///media/usb/r']);
      await repo('b', 'oci://ghcr.io/acme/modules');
      await repo('c', 'oci://registry.example.org:5000/m');
      await repo('d', 's3://my-bucket/stable');
      await mkdir(path.join(root, 'etc/blueprint/aws'), { recursive: true });
      await writeFile(
        path.join(root, 'etc/blueprint/aws/config'),
        '[profile x]\nregion = us-west-2\n[default]\nregion = eu-west-3\n',
      );
      const s = spec({ network: { ntp: 'none', unattendedUpgrades: false } });
      expect(
        hosts(s, await configuredRepositories(root)).filter((h) => h.startsWith('repositories')),
      ).toEqual([
        'repositories tcp one.example.org:443',
        'repositories tcp two.example.org:8080',
        'repositories tcp ghcr.io:443',
        'repositories tcp pkg-containers.githubusercontent.com:443',
        'repositories tcp registry.example.org:5000',
        'repositories tcp my-bucket.s3.eu-west-3.amazonaws.com:443',
      ]);
    } finally {
      await cleanup();
    }
  });

  it('destinations the admin allows, each checked', () => {
    const s = spec({
      network: {
        ntp: 'none',
        unattendedUpgrades: false,
        allow: ['objects.example.org:443', '[2001:db8::7]:8443'],
      },
    });
    expect(hosts(s).slice(2)).toEqual(['admin tcp objects.example.org:443', 'admin tcp 2001:db8::7:8443']);
    expect(() => spec({ network: { allow: ['objects.example.org:70000'] } })).toThrow(/at most 65535/);
    expect(() => spec({ network: { allow: ['https://x.example'] } })).toThrow(/host:port/);
  });

  it('refuses DNS-over-TLS without servers and a DNS server that is a name', () => {
    expect(() => spec({ network: { dns: { tls: true } } })).toThrow(/DNS-over-TLS needs servers/);
    expect(() => spec({ network: { dns: { servers: ['dns.example'] } } })).toThrow(/must be an IP address/);
  });

  it('dnsmasq fills the sets of a name and of every listed name it is under', () => {
    const d = egressDestinations(spec().network, [
      { name: 'a', url: 'https://example.org' },
      { name: 'b', url: 'http://pkg.example.org:8080' },
    ]);
    const conf = dnsmasqConf(d);
    expect(conf).toContain(
      'nftset=/example.org/4#inet#blueprint#repositories_tcp_443_v4,6#inet#blueprint#repositories_tcp_443_v6\n',
    );
    const pkg = conf.split('\n').find((l) => l.startsWith('nftset=/pkg.example.org/'));
    expect(pkg).toContain('#repositories_tcp_8080_v4');
    expect(pkg).toContain('#repositories_tcp_443_v4');
    expect(conf).not.toContain('nftset=/*/');
    expect(conf).toContain('listen-address=127.0.0.1\n');
    // Queries to the stub leave from loopback, not from random ports on every address.
    expect(conf).toContain('server=127.0.0.53@127.0.0.1\n');
  });

  it("with systemd-resolve in the root's passwd, DNS leaves from its uid only (checked by nft)", async () => {
    const { root, cleanup } = await tempRoot('egress-uid');
    try {
      await mkdir(path.join(root, 'etc'), { recursive: true });
      await writeFile(
        path.join(root, 'etc/passwd'),
        'root:x:0:0:root:/root:/bin/bash\nsystemd-resolve:x:996:996:systemd Resolver:/:/usr/sbin/nologin\n',
      );
      const plan = await planSetup(root, spec(), []);
      const rules = plan.changes.find((c) => c.target === 'etc/nftables.conf')?.resource;
      const text = rules?.kind === 'file' ? rules.content : '';
      expect(text).toContain('meta nfproto ipv4 meta skuid 996 udp dport 53');
      expect(text.match(/dport 53 /g)?.length).toBe(
        text.match(/meta skuid 996 (udp|tcp) dport 53 /g)?.length,
      );
      if (hasNft) {
        await writeFile(path.join(root, 'rules.nft'), text);
        execFileSync('nft', ['-c', '-f', path.join(root, 'rules.nft')]);
      }
    } finally {
      await cleanup();
    }
  });

  it('the plan lists the destinations and each choice names what it adds', async () => {
    const { root, cleanup } = await tempRoot('egress-plan');
    try {
      const plan = await planSetup(
        root,
        spec({ network: { ntp: ['time.example.org'], unattendedUpgrades: false } }),
        [],
      );
      expect(plan.egress.map((d) => d.host)).toEqual(['*', '*', 'time.example.org']);
      const whats = plan.changes.map((c) => c.what);
      expect(whats).toContain('NTP: time.example.org');
      expect(whats).toContain('unattended upgrades off');
      expect(whats).toContain('firewall rules (3 allowed destinations)');
    } finally {
      await cleanup();
    }
  });
});

describe.skipIf(!hasNft)('the generated ruleset, checked by nft itself', () => {
  it.each([
    ['defaults', spec()],
    [
      'everything',
      spec({
        network: {
          dns: { servers: ['9.9.9.9#dns.quad9.net', '2620:fe::fe'], tls: true },
          ntp: ['192.0.2.1', 'time.example.org'],
          allow: ['objects.example.org:443', '[2001:db8::7]:8443'],
        },
        repositories: [
          { name: 'a', url: 'https://repo.example.org', key: 'K' },
          { name: 'b', url: 'http://[2001:db8::1]:8080', key: 'K' },
        ],
      }),
    ],
  ])('nft -c accepts the rules (%s)', async (_n, s) => {
    const { root, cleanup } = await tempRoot('egress-nft');
    try {
      const file = path.join(root, 'rules.nft');
      await writeFile(file, nftablesRules(s, specDestinations(s, [])));
      execFileSync('nft', ['-c', '-f', file]);
    } finally {
      await cleanup();
    }
  });

  it('bpkg repo add makes the rules again: the new repository is allowed', async () => {
    const { root, cleanup } = await tempRoot('egress-rebuild');
    try {
      await planSetup(root, spec(), []).then(async (p) =>
        (await import('../../src/core/setup/apply.js')).applyPlan(p),
      );
      const rules = () => readFile(path.join(root, 'etc/nftables.conf'), 'utf8');
      expect(await rules()).not.toContain('203.0.113.7');
      // bpkg repo add: the app's call, which builds the egress files again.
      await openBox(root, { yes: true }).repos.add('lab', 'http://203.0.113.7:8080');
      expect(await rules()).toContain('ip daddr { 203.0.113.7 } tcp dport 8080');
      await openBox(root, { yes: true }).repos.remove('lab');
      expect(await rules()).not.toContain('203.0.113.7');
      await mkdir(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
      await writeFile(
        path.join(root, 'etc/blueprint/repos.d/lab.json'),
        JSON.stringify({ name: 'lab', url: 'http://203.0.113.7:8080' }),
      );
      const r = await rebuildEgress(root);
      expect(r.changed).toEqual(['etc/nftables.conf']);
      expect(await rules()).toContain('ip daddr { 203.0.113.7 } tcp dport 8080');
      expect((await rebuildEgress(root)).changed).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('the audit history on disk', () => {
  const flow = (
    address: string,
    lastSeen: string,
    packets: number,
  ): Omit<OutboundFlow, 'firstSeen' | 'seenPackets' | 'seenBytes'> => ({
    who: 'box',
    verdict: 'blocked',
    address,
    proto: 'tcp',
    port: 443,
    packets,
    bytes: packets * 60,
    lastSeen,
  });
  it('adds what the kernel counted since the last reading, also across a reload of the rules', () => {
    let h = mergeFlows([], [flow('192.0.2.1', '2026-01-01T00:00:00.000Z', 3)]);
    h = mergeFlows(h, [flow('192.0.2.1', '2026-01-02T00:00:00.000Z', 5)]);
    expect(h[0]).toMatchObject({
      packets: 5,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-02T00:00:00.000Z',
    });
    h = mergeFlows(h, [flow('192.0.2.1', '2026-01-03T00:00:00.000Z', 2)]); // counters started again
    expect(h[0]).toMatchObject({ packets: 7, lastSeen: '2026-01-03T00:00:00.000Z' });
  });
  it.skipIf(!existsSync('dist/blueprint'))(
    'blueprint audit outbound --json answers the history kept under the root',
    async () => {
      const { root, cleanup } = await tempRoot('egress-cli');
      try {
        await mkdir(path.join(root, 'var/lib/blueprint/audit'), { recursive: true });
        const flows = mergeFlows([], [flow('192.0.2.1', '2026-01-01T00:00:00.000Z', 3)]);
        await writeFile(
          path.join(root, 'var/lib/blueprint/audit/outbound.json'),
          JSON.stringify({ format: 1, flows }),
        );
        const out = JSON.parse(
          execFileSync('dist/blueprint', ['--root', root, '--json', 'audit', 'outbound']).toString(),
        );
        expect(out.live).toBe(false);
        expect(out.flows).toEqual(flows);
      } finally {
        await cleanup();
      }
    },
  );
  it('is bounded: the flows seen longest ago go first', () => {
    const h = mergeFlows(
      [],
      [
        flow('192.0.2.1', '2026-01-01T00:00:00.000Z', 1),
        flow('192.0.2.2', '2026-01-05T00:00:00.000Z', 1),
        flow('192.0.2.3', '2026-01-03T00:00:00.000Z', 1),
      ],
      2,
    );
    expect(h.map((f) => f.address)).toEqual(['192.0.2.2', '192.0.2.3']);
  });
});
