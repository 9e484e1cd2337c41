import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SPECIAL_V4, SPECIAL_V6, specialRange } from '../../src/core/system/egress-special.js';

/**
 * The table that decides which addresses an allowed name may not open (module rules and the
 * box's name sets), on the edge cases: embedded IPv4 in its IPv6 forms, the ends of each range,
 * the spellings a resolver or a hostile answer could use.
 */
describe('specialRange', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'this network'],
    ['255.255.255.255', 'broadcast'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.251', 'multicast'],
    ['192.0.0.192', 'IETF'],
    ['198.19.0.1', 'benchmarking'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:a00:1', 'IPv4-mapped private'],
    ['::FFFF:169.254.169.254', 'IPv4-mapped link-local'],
    ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:0.0.0.0', 'IPv4-mapped "this network"'],
    ['64:ff9b::192.168.0.1', 'NAT64 private'],
    ['::10.0.0.1', 'IPv4-compatible'],
    ['fd00::1', 'unique-local'],
    ['fc00::', 'unique-local'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b:1::1', 'NAT64'],
    ['api.example.com', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s is special (%s)', (address, what) => {
    expect(specialRange(address)).toContain(what);
  });

  it.each([
    '93.184.216.34',
    '9.9.9.9',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '192.169.0.0',
    '223.255.255.255',
    '11.0.0.0',
    '192.0.2.1', // documentation: the tests' internet, nothing of the box
    '2606:4700:4700::1111',
    '2001:db8::1',
    '::ffff:93.184.216.34',
    '64:ff9b::9.9.9.9',
    'fbff::1',
    'fe00::1',
    '2001:4860:4860::8888',
  ])('%s is not special', (address) => {
    expect(specialRange(address)).toBeUndefined();
  });

  it("agrees with Node's BlockList built from the same table on a sweep of addresses", () => {
    const list = new BlockList();
    for (const r of SPECIAL_V4) {
      const [net, len] = r.cidr.split('/');
      list.addSubnet(net!, Number(len), 'ipv4');
    }
    for (let a = 0; a < 256; a++)
      for (const b of [0, 1, 15, 16, 31, 32, 63, 64, 127, 128, 168, 169, 254, 255]) {
        const addr = `${a}.${b}.${(a * 7) % 256}.${(b * 13) % 256}`;
        expect(specialRange(addr) !== undefined, addr).toBe(list.check(addr, 'ipv4'));
      }
  });

  it('every range is well formed and names what it is', () => {
    for (const r of [...SPECIAL_V4, ...SPECIAL_V6]) {
      const [, len] = r.cidr.split('/');
      expect(Number(len)).toBeGreaterThan(0);
      expect(Number(len)).toBeLessThanOrEqual(r.cidr.includes(':') ? 128 : 32);
      expect(r.what.length).toBeGreaterThan(3);
    }
  });
});
