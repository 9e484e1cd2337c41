import { describe, expect, it } from 'vitest';
import {
  initWithOutbound,
  outboundRuleset,
  type PrivateAddressRefused,
  resolveOutbound,
} from '../../src/core/services/outbound.js';

/**
 * The admin approves a module's outbound list by name ("api.example.com:443"): one internet
 * service. Whoever answers for that name in DNS chooses the addresses, and may answer (or later
 * rebind to) the box's LAN, the host's loopback or the cloud metadata service (169.254.169.254).
 * An address of a special-purpose range reached through a name is refused; the admin who means
 * a LAN address approves the address itself.
 */

/** What a hostile or rebound DNS answers for names the admin approved. */
const answers: Record<string, string[]> = {
  'api.example.com': ['93.184.216.34', '192.168.1.1'],
  'metadata.example.com': ['169.254.169.254'],
  'loop.example.com': ['127.0.0.1', '::1'],
  'mapped.example.com': ['::ffff:10.0.0.1', '::ffff:172.16.0.9'],
  'v6lan.example.com': ['fd00::1', 'fe80::1', 'fc00::2'],
  'cgnat.example.com': ['100.64.0.1'],
  'zero.example.com': ['0.0.0.0', '255.255.255.255', '::', '224.0.0.1', 'ff02::1'],
};
const special = Object.values(answers)
  .flat()
  .filter((a) => a !== '93.184.216.34');
const resolver = async (h: string) => answers[h] ?? [];

describe('module outbound: a name never opens a private, loopback or link-local address', () => {
  it('an approved name whose DNS answers private addresses yields rules for the public one only', async () => {
    const r = await resolveOutbound(
      Object.keys(answers).map((h) => `${h}:443`),
      resolver,
    );
    const rules = outboundRuleset(r.targets);
    for (const a of special) expect(rules, a).not.toContain(`daddr ${a} `);
    expect(rules).toContain('ip daddr 93.184.216.34 tcp dport 443');
    // Nor does the container's /etc/hosts (written from the same targets) name them.
    expect(r.targets.flatMap((t) => t.addresses)).toEqual(['93.184.216.34']);
    expect(r.refused).toContainEqual({
      host: 'metadata.example.com',
      port: 443,
      address: '169.254.169.254',
      range: expect.stringContaining('link-local'),
    });
    expect(r.refused.map((x) => x.address).sort()).toEqual([...special].sort());
  });

  it('DNS rebinding: a name that answered a public address at one start answers 10.0.0.1 at the next', async () => {
    let calls = 0;
    const rebinding = async () => (calls++ === 0 ? ['93.184.216.34'] : ['10.0.0.1']);
    const first = await resolveOutbound(['api.example.com:443'], rebinding);
    expect(outboundRuleset(first.targets)).toContain('ip daddr 93.184.216.34 tcp dport 443');
    const second = await resolveOutbound(['api.example.com:443'], rebinding);
    expect(outboundRuleset(second.targets)).not.toContain('10.0.0.1');
    expect(second.refused).toEqual([
      expect.objectContaining({ host: 'api.example.com', address: '10.0.0.1' }),
    ]);
  });

  it('an address the admin approved as an address stays allowed, LAN or not', async () => {
    const r = await resolveOutbound(['192.168.1.10:8080', '[fd00::5]:443'], resolver);
    const rules = outboundRuleset(r.targets);
    expect(rules).toContain('ip daddr 192.168.1.10 tcp dport 8080');
    expect(rules).toContain('ip6 daddr fd00::5 tcp dport 443');
    expect(r.refused).toEqual([]);
  });
});

describe('the refusal is told, naming the name, the address and what to do', () => {
  it('each refused address is warned about before the container is initialised', async () => {
    const told: PrivateAddressRefused[] = [];
    // An engine that stops the start right after resolution: the warnings come first.
    const engine = { libpod: async () => Promise.reject(new Error('stop here')) };
    await expect(
      initWithOutbound(engine, 'bp-weather', ['metadata.example.com:80', '192.168.1.10:80'], {
        resolve: resolver,
        warn: (w) => told.push(w),
      }),
    ).rejects.toThrow('stop here');
    expect(told).toHaveLength(1);
    expect(told[0]!.code).toBe('outbound-private-address');
    expect(told[0]!.message).toBe(
      'bp-weather: approved name metadata.example.com (port 80) resolved to 169.254.169.254, link-local (cloud metadata services answer here): not allowed',
    );
    expect(told[0]!.hint).toContain('lists the address itself ("169.254.169.254:80")');
  });

  it('an IPv6 address is shown in brackets in the hint; a non-address answer without control bytes', async () => {
    const told: PrivateAddressRefused[] = [];
    const engine = { libpod: async () => Promise.reject(new Error('stop here')) };
    const odd = async (h: string) => (h === 'a.example' ? ['fd00::1'] : ['\x1b[2Jevil']);
    await initWithOutbound(engine, 'c', ['a.example:443', 'b.example:443'], {
      resolve: odd,
      warn: (w) => told.push(w),
    }).catch(() => undefined);
    expect(told[0]!.hint).toContain('("[fd00::1]:443")');
    expect(told[1]!.message).toContain('resolved to ?[2Jevil, not an IP address');
    expect(told[1]!.message).not.toContain('\x1b');
  });
});
