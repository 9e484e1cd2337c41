import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { type ApplianceSpec, specSchema } from '../../src/core/setup/index.js';
import { specDestinations } from '../../src/core/setup/resources.js';
import { hasNft, sshPublicKey } from '../setup/helpers.js';

/**
 * The box's own allow-list follows names: dnsmasq adds every address DNS answers for an allowed
 * name (a repository, an NTP server) to that name's set, at every lookup. A name whose DNS answers
 * (or rebinds to) 192.168.1.1 or 169.254.169.254 must not open it; an address the admin listed
 * as an address stays allowed. The namespace test (test/setup/egress-netns.test.ts) shows the
 * same with real packets.
 */
const spec = (): ApplianceSpec =>
  specSchema.parse({
    hostname: 'box-01',
    users: [{ name: 'admin', keys: [sshPublicKey('ops@laptop')] }],
    ssh: { enabled: true },
    network: {
      dns: { servers: ['9.9.9.9'] },
      ntp: ['ntp.example.org'],
      unattendedUpgrades: false,
      allow: ['192.168.1.5:443'],
    },
    repositories: [{ name: 'lab', url: 'https://repo.example.com/', key: 'K' }],
  });

describe("the box's own allow-list: addresses dnsmasq adds for an allowed name", () => {
  const s = spec();
  const rules = nftablesRules(s, specDestinations(s, []), {});

  it('every accept through a name set excludes the special-purpose ranges; an address the admin listed does not', () => {
    const accepts = rules
      .split('\n')
      .filter((l) => /daddr @\w+_(tcp|udp)_\d+_v[46] /.test(l) && / accept$/.test(l));
    expect(accepts).toHaveLength(4); // repositories and ntp, each family
    for (const l of accepts) expect(l).toMatch(/ip6? daddr != @special_v[46] /);
    expect(rules).toMatch(/set special_v4 \{[^}]*flags interval;[^}]*169\.254\.0\.0\/16/);
    expect(rules).toMatch(/set special_v6 \{[^}]*fe80:0:0:0:0:0:0:0\/10[^}]*0:0:0:0:0:ffff:a00:0\/104/);
    expect(rules).toMatch(/ip daddr \{ 192\.168\.1\.5 \} tcp dport 443 .* accept/);
  });

  it('a private address through a name is counted and logged, naming the purpose', () => {
    expect(rules).toContain('counter out_private { }');
    expect(rules).toMatch(
      /ip daddr @repositories_tcp_443_v4 ip daddr @special_v4 tcp dport 443 counter name "out_private" limit rate .* log prefix "blueprint egress: repositories name \(tcp\/443\) gave a private address, refused: "/,
    );
  });

  it.skipIf(!hasNft)('nft accepts the sets and rules', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bp-egress-private-'));
    try {
      await writeFile(path.join(dir, 'rules.nft'), rules);
      execFileSync('nft', ['-c', '-f', path.join(dir, 'rules.nft')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
