import { describe, expect, it } from 'vitest';
import type { ServiceInspection } from '../../src/app/index.js';
import { NO_GPU, sandboxPolicy } from '../../src/core/services/policy.js';
import { parseService } from '../../src/core/services/schema.js';
import { formatInspection } from '../../src/present/services.js';

/**
 * `blueprint service inspect` of a module with outbound network said `network outbound` and
 * nothing more: which hosts the admin approved at install, the only ones its sandbox lets it
 * reach (docs/egress.md), could be read nowhere on the box (QA7's walk of default-deny egress).
 * The sandbox policy's summary carries the approved list, and inspect (and --json) show it.
 */
const summary = (network: string, outbound: string[], approved?: string[]) =>
  sandboxPolicy({
    root: '/box',
    name: 'fetcher',
    version: '1.0.0',
    prefix: '/box/opt/blueprint/fetcher/1.0.0',
    service: parseService({ image: { id: `sha256:${'a'.repeat(64)}` }, network, outbound }),
    approvals: { outboundNetwork: network === 'outbound', ...(approved ? { outbound: approved } : {}) },
    gpu: NO_GPU,
    seccompProfile: '/box/var/lib/blueprint/services/seccomp.json',
  }).summary;

const inspect = (policy: ServiceInspection['policy']) =>
  formatInspection({
    name: 'fetcher',
    version: '1.0.0',
    state: 'stopped',
    policy,
    rating: { score: 0, max: 8, basis: 'manifest', items: [] },
  } as unknown as ServiceInspection);

describe('service inspect of an outbound module', () => {
  it('names the approved destinations; a module without outbound network names none', () => {
    const hosts = ['api.example.org:443', '192.168.1.10:8080'];
    const p = summary('outbound', hosts, hosts);
    expect(p.outbound).toEqual(hosts);
    expect(inspect(p)).toMatch(
      /^ {2}network {10}outbound, approved: api\.example\.org:443, 192\.168\.1\.10:8080$/m,
    );
    const none = summary('none', []);
    expect(none.outbound).toEqual([]);
    expect(inspect(none)).toMatch(/^ {2}network {10}none$/m);
  });
});
