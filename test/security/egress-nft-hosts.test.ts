import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { nftablesRules } from '../../src/core/setup/configs.js';
import { egressDestinations } from '../../src/core/setup/egress.js';
import { rebuildEgress } from '../../src/core/setup/egress-disk.js';
import { DEFAULT_NETWORK, networkSchema } from '../../src/core/setup/index.js';
import { hasNft, tempRoot } from '../setup/helpers.js';

/**
 * Node's isIP takes an IPv6 address with a zone (`fe80::1%eth0`), and so did the schema for DNS
 * and NTP servers; nft has no syntax for it. One such server in an answers or apply file wrote an
 * /etc/nftables.conf that nft refuses whole: the live load failed after the file was in place, and
 * at the next boot nftables.service failed and the box ran with no firewall at all, in or out.
 */
const ZONED = ['fe80::1%eth0', 'fe80::1%2', 'fe80::1%a-b.c:d'];

/** nft's own parser on the rules, where nft is installed (`-c`: checked, nothing loaded). */
function nftAccepts(rules: string, dir: string): Promise<boolean> {
  const file = path.join(dir, 'nftables.conf');
  return writeFile(file, rules).then(() => {
    try {
      execFileSync('nft', ['-c', '-f', file], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  });
}

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('nft-hosts'));
});
afterEach(() => cleanup());

describe('an IPv6 address with a zone as a DNS or NTP server', () => {
  it.each(ZONED)('%s is refused by the schema, by field', (host) => {
    const dns = networkSchema.safeParse({ dns: { servers: [host] } });
    expect(dns.success).toBe(false);
    expect(dns.error?.issues[0]?.path).toEqual(['dns', 'servers', 0]);
    const ntp = networkSchema.safeParse({ ntp: [host] });
    expect(ntp.success).toBe(false);
    expect(ntp.error?.issues[0]?.path).toEqual(['ntp', 0]);
  });

  it.each(ZONED)('%s stored by an older setup never reaches the rules', async (host) => {
    const net = { ...DEFAULT_NETWORK, dns: { servers: [host], tls: false }, ntp: [host] };
    const rules = nftablesRules({ ssh: { enabled: true, port: 22 } }, egressDestinations(net, []));
    expect(rules).not.toContain('%');
    if (hasNft) expect(await nftAccepts(rules, root)).toBe(true);
  });

  it('bpkg repo add rebuilding from such stored choices writes rules nft loads, or refuses by name', async () => {
    await mkdir(path.join(root, 'etc/blueprint'), { recursive: true });
    await writeFile(
      path.join(root, 'etc/blueprint/network.json'),
      JSON.stringify({ network: { dns: { servers: ['fe80::1%eth0'] }, ntp: ['fe80::1%eth0'] } }),
    );
    const r = await rebuildEgress(root).catch((err: unknown) => err);
    if (r instanceof Error) {
      expect(r).toBeInstanceOf(BlueprintError);
      expect(r.message).toContain('network.json');
      return;
    }
    const rules = await readFile(path.join(root, 'etc/nftables.conf'), 'utf8');
    expect(rules).not.toContain('%');
    if (hasNft) expect(await nftAccepts(rules, root)).toBe(true);
  });

  it('plain addresses still make rules nft loads', async () => {
    const net = networkSchema.parse({
      dns: { servers: ['9.9.9.9', '2620:fe::fe'] },
      ntp: ['fe80::1', 'time.example.org'],
    });
    const rules = nftablesRules({ ssh: { enabled: false, port: 22 } }, egressDestinations(net, []));
    expect(rules).toContain('ip6 daddr { fe80::1 } udp dport 123');
    if (hasNft) expect(await nftAccepts(rules, root)).toBe(true);
  });
});
