// The box before setup (issue 19): default-deny egress from the first boot. The image ships the
// files setup itself writes for a box with no choices made yet — DNS from DHCP, no NTP, no
// unattended upgrades, no repository, SSH off — so they are checked byte for byte against setup's
// own code, and the firewall is loaded into a network namespace to see it drop and count.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nftablesRules } from '../../src/core/setup/configs.js';
import {
  autoUpgradesConf,
  egressDestinations,
  networkdDropIn,
  resolverUid,
  timesyncdConf,
} from '../../src/core/setup/egress.js';
import {
  AUTO_UPGRADES,
  NETWORK_CHOICES,
  NETWORKD_DROP_IN,
  NFT_RULES,
  TIMESYNCD_CONF,
} from '../../src/core/setup/resources.js';
import { DEFAULT_NETWORK } from '../../src/core/setup/schema.js';
import { existsInRoot, readRoot, requireImage, rootfs } from './image.js';

/** What the box may do before anyone has chosen: see image/README.md, "Before setup". */
const PRE_SETUP = { ...DEFAULT_NETWORK, ntp: 'none' as const, unattendedUpgrades: false };

describe('before setup', () => {
  it('ships the egress files setup writes for a box with nothing chosen yet', () => {
    requireImage();
    const uid = resolverUid(readRoot('etc/passwd'));
    expect(uid).toBeGreaterThan(0);
    const dests = egressDestinations(PRE_SETUP, []);
    // DNS alone, to DHCP's servers, and only from systemd-resolved: nothing else leaves the box.
    expect(dests.map((d) => `${d.purpose} ${d.host} ${d.proto}/${d.port}`)).toEqual([
      'dns * udp/53',
      'dns * tcp/53',
    ]);
    expect(readRoot(NFT_RULES)).toBe(
      nftablesRules({ ssh: { enabled: false, port: 22 } }, dests, { resolverUid: uid }),
    );
    expect(readRoot(TIMESYNCD_CONF)).toBe(timesyncdConf(PRE_SETUP));
    expect(readRoot(NETWORKD_DROP_IN)).toBe(networkdDropIn(PRE_SETUP));
    expect(readRoot(AUTO_UPGRADES)).toBe(autoUpgradesConf(PRE_SETUP));
    // No stored choices: `bpkg repo add` cannot rebuild the rules before setup has run.
    expect(existsInRoot(NETWORK_CHOICES)).toBe(false);
  });

  it('drops and counts what leaves the box, lets DNS out from the resolver only', () => {
    requireImage();
    // In a network namespace of its own, with the image's nft, ip, setpriv and bash: a veth pair
    // gives the box a network whose other end (10.9.0.2) never answers. A datagram the output
    // chain drops fails its send at once (EPERM); a TCP connection retries its SYN until the
    // timeout here gives up; what the chain lets out is sent.
    const script = [
      'nft -f /etc/nftables.conf',
      'ip link set lo up',
      'ip link add v0 type veth peer name v1',
      'ip addr add 10.9.0.1/24 dev v0',
      'ip link set v0 up && ip link set v1 up',
      'try() { if "$@" 2>/dev/null; then echo sent; else echo dropped; fi; }',
      `try timeout 5 bash -c 'exec 3<>/dev/tcp/10.9.0.2/443'`,
      `try bash -c 'echo q >/dev/udp/10.9.0.2/53'`,
      `try setpriv --reuid=systemd-resolve --regid=systemd-resolve --clear-groups bash -c 'echo q >/dev/udp/10.9.0.2/53'`,
      `try bash -c 'echo q >/dev/udp/10.9.0.2/123'`,
      'nft -j list table inet blueprint',
    ].join('\n');
    const out = execFileSync('unshare', ['--net', 'chroot', rootfs, '/bin/sh', '-c', script], {
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    }).split('\n');
    // HTTPS anywhere, DNS from root, NTP: dropped; DNS from systemd-resolved: sent.
    expect(out.slice(0, 4)).toEqual(['dropped', 'dropped', 'sent', 'dropped']);
    const table = JSON.parse(out.slice(4).join('\n')).nftables as Record<string, Record<string, unknown>>[];
    const counter = (name: string) =>
      table.find((o) => (o.counter as { name?: string })?.name === name)?.counter as { packets: number };
    // Each SYN the connection retried counts too.
    expect(counter('out_blocked').packets).toBeGreaterThanOrEqual(3);
    expect(counter('out_dns').packets).toBe(1);
    const set = table.find((o) => (o.set as { name?: string })?.name === 'blocked_v4')?.set as
      | { elem?: { elem: { val: { concat: unknown[] } } }[] }
      | undefined;
    const blocked = (set?.elem ?? []).map((e) => e.elem.val.concat.join(' '));
    expect(blocked.sort()).toEqual(['10.9.0.2 tcp 443', '10.9.0.2 udp 123', '10.9.0.2 udp 53']);
  });
});
