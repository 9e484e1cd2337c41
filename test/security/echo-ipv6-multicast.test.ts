/**
 * The box never answers an IPv4 echo request sent to a broadcast address
 * (`net.ipv4.icmp_echo_ignore_broadcasts=1`), but answered IPv6's to a multicast one: anyone on the
 * link sending one to ff02::1 with a victim's source address had every box there answer the victim
 * (the firewall's per-sender limit takes the forged source as the sender: 10 a second from this box
 * for each forged /64), and the answers showed the box's link-local address to whoever asked, when
 * IPv4 showed nothing. The image's hardening file now ignores IPv6 echo requests to multicast and
 * anycast addresses as IPv4's to broadcast ones; test/image/boot.test.ts reads every setting of the
 * file back from the booted kernel. Before the fix the file had no IPv6 echo setting.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const file = new URL('../../image/overlay/etc/sysctl.d/99-zz-blueprint-hardening.conf', import.meta.url);
const settings = new Map(
  readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('=').map((s) => s.trim()) as [string, string]),
);

describe('attack: an echo request to the link-local all-nodes address', () => {
  it('IPv4 broadcasts are ignored (control)', () => {
    expect(settings.get('net.ipv4.icmp_echo_ignore_broadcasts')).toBe('1');
  });

  it('IPv6 multicast and anycast echo requests are ignored as IPv4 broadcasts are', () => {
    expect(settings.get('net.ipv6.icmp.echo_ignore_multicast')).toBe('1');
    expect(settings.get('net.ipv6.icmp.echo_ignore_anycast')).toBe('1');
  });
});
