import { describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { egressDestinations } from '../../src/core/setup/egress.js';
import { answersSchema, DEFAULT_NETWORK, networkSchema, specSchema } from '../../src/core/setup/index.js';
import { specDestinations } from '../../src/core/setup/resources.js';
import { initialDraft, STEPS } from '../../src/core/setup/wizard.js';
import { sshPublicKey } from '../setup/helpers.js';

/**
 * `*` is the egress allow-list's word for "any address" (the resolver DHCP gives). A URL parser
 * takes `*` as a host name (WHATWG hosts may hold `*`, `}`, `;`…): a repository URL or a Debian
 * mirror `https://*:8443/` in an answers or apply file, or in repos.d, became a rule that let every
 * program on the box reach every address of the internet on that port. A URL's host is let out only
 * when it is an IP address or a DNS name; the schema refuses the others by field.
 */
const FPR = 'A'.repeat(40);
const wild = [
  'https://*:8443/repo',
  'http://*/debian',
  'https://*.example.org/repo',
  'https://a}b.example.org/',
];

/** The output chain's accept rules that name no destination address or set: a whole port open. */
const openPorts = (rules: string) =>
  rules.split('\n').filter((l) => /^\s+meta nfproto ipv[46] (tcp|udp) dport \d+ .*accept$/.test(l));

describe('a URL whose host is not an address or a DNS name', () => {
  it.each(wild)('%s as the answers file repository is refused, by field', (url) => {
    const r = answersSchema.safeParse({
      hostname: 'box',
      admin: { name: 'admin', keys: [sshPublicKey()] },
      repository: { name: 'fleet', url, key: 'k.asc', fingerprint: FPR },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['repository', 'url']);
  });

  it.each(wild)('%s as an apply file repository or a Debian mirror is refused, by field', (url) => {
    const repo = specSchema.safeParse({
      hostname: 'box',
      repositories: [{ name: 'fleet', url, key: 'k.asc', fingerprint: FPR }],
    });
    expect(repo.success).toBe(false);
    expect(repo.error?.issues[0]?.path).toEqual(['repositories', 0, 'url']);
    const mirror = networkSchema.safeParse({ debianMirrors: [url.replace('https', 'http')] });
    expect(mirror.success).toBe(false);
    expect(mirror.error?.issues[0]?.path).toEqual(['debianMirrors', 0]);
  });

  it.each(wild)('%s typed in the console wizard is refused at its step', async (url) => {
    const step = STEPS.find((s) => s.id === 'repoUrl')!;
    const out = await step.accept(url, initialDraft('box'), { cwd: '/', gpuSummary: [] });
    expect(typeof out).toBe('string');
  });

  it.each(wild)('%s configured in repos.d (bpkg repo add) opens no port to every address', (url) => {
    const net = { ...DEFAULT_NETWORK, dns: { servers: ['9.9.9.9'], tls: false } };
    const dests = specDestinations({ network: net, repositories: [] }, [{ name: 'fleet', url }]);
    expect(dests.filter((d) => d.purpose !== 'dns' && !/^[a-z0-9.-]+$|:/.test(d.host))).toEqual([]);
    expect(dests.some((d) => d.host === '*')).toBe(false);
    expect(openPorts(nftablesRules({ ssh: { enabled: false, port: 22 } }, dests))).toEqual([]);
  });

  it('a host named like an Object property (constructor, toString) is let out as a name, no TypeError', () => {
    const dests = egressDestinations(DEFAULT_NETWORK, [
      { name: 'a', url: 'https://constructor/' },
      { name: 'b', url: 'https://tostring:8443/' },
    ]);
    expect(dests.filter((d) => d.purpose === 'repositories').map((d) => `${d.host}:${d.port}`)).toEqual([
      'constructor:443',
      'tostring:8443',
    ]);
  });

  it('an ordinary repository and mirror are still let out, by name and by address', () => {
    const dests = egressDestinations(
      { ...DEFAULT_NETWORK, debianMirrors: ['http://deb.example.org/debian'] },
      [
        { name: 'a', url: 'https://repo.example.org:8443/x' },
        { name: 'b', url: 'http://192.0.2.7/x' },
        { name: 'c', url: 'https://[2001:db8::7]/x' },
      ],
    );
    expect(dests.map((d) => `${d.purpose} ${d.host}:${d.port}`)).toEqual(
      expect.arrayContaining([
        'repositories repo.example.org:8443',
        'repositories 192.0.2.7:80',
        'repositories 2001:db8::7:443',
        'updates deb.example.org:80',
      ]),
    );
  });
});
