import { isIP } from 'node:net';

/**
 * Special-purpose addresses (RFC 6890 and its updates) that an allowed *name* must never open:
 * the box's LAN, the host itself, the cloud metadata service (169.254.169.254), carrier-grade NAT,
 * multicast, "this network". Whoever answers DNS for an approved name picks its addresses and can
 * answer one of these, at once or later (DNS rebinding); an admin who means a LAN host approves
 * its address. The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32)
 * are left out on purpose: nothing of the box or its network is there, and tests stand for the
 * internet with them. One table serves the check in code (module rules, at each start) and the
 * nftables sets of the box's own rules (egress.ts), so the two cannot disagree.
 */

export interface SpecialRange {
  cidr: string;
  /** What the range is, as the warning names it. */
  what: string;
}

export const SPECIAL_V4: readonly SpecialRange[] = [
  { cidr: '0.0.0.0/8', what: '"this network" (unspecified)' },
  { cidr: '10.0.0.0/8', what: 'private network' },
  { cidr: '100.64.0.0/10', what: 'carrier-grade NAT (shared address space)' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local (cloud metadata services answer here)' },
  { cidr: '172.16.0.0/12', what: 'private network' },
  { cidr: '192.0.0.0/24', what: 'IETF protocol assignments' },
  { cidr: '192.168.0.0/16', what: 'private network' },
  { cidr: '198.18.0.0/15', what: 'benchmarking' },
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: '240.0.0.0/4', what: 'reserved or broadcast' },
];

/** IPv6 ranges of their own; first match wins (::/128 and ::1/128 before ::/96). */
const NATIVE_V6: readonly SpecialRange[] = [
  { cidr: '::/128', what: 'unspecified' },
  { cidr: '::1/128', what: 'loopback' },
  { cidr: '::/96', what: 'IPv4-compatible (deprecated)' },
  { cidr: '64:ff9b:1::/48', what: 'local-use NAT64' },
  { cidr: '100::/64', what: 'discard-only' },
  { cidr: 'fc00::/7', what: 'unique-local (private network)' },
  { cidr: 'fe80::/10', what: 'link-local' },
  { cidr: 'fec0::/10', what: 'site-local (deprecated)' },
  { cidr: 'ff00::/8', what: 'multicast' },
];

/** IPv6 prefixes (/96) that carry an IPv4 address in their last 32 bits. */
const EMBEDDING: readonly { prefix: string; what: string }[] = [
  { prefix: '::ffff:', what: 'IPv4-mapped' },
  { prefix: '64:ff9b::', what: 'NAT64' },
];

/** Every IPv6 range refused: the native ones, and the IPv4 ones in each embedded form. */
export const SPECIAL_V6: readonly SpecialRange[] = [
  ...NATIVE_V6,
  ...EMBEDDING.flatMap((e) =>
    SPECIAL_V4.map((r) => {
      const [net, len] = r.cidr.split('/');
      return { cidr: `${e.prefix}${net}/${96 + Number(len)}`, what: `${e.what} ${r.what}` };
    }),
  ),
];

function v4Bits(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

/** The 128 bits of an IPv6 address (a dotted IPv4 tail and a %zone allowed); isIP checked it. */
function v6Bits(address: string): bigint {
  let text = address.split('%')[0]!;
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (dotted) {
    const v4 = Number(v4Bits(dotted));
    text = `${text.slice(0, -dotted.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function inRange(bits: bigint, width: 32 | 128, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const shift = BigInt(width - Number(len));
  const base = width === 32 ? v4Bits(net) : v6Bits(net);
  return bits >> shift === base >> shift;
}

/**
 * What special-purpose range `address` is in ("private network", "IPv4-mapped loopback"…), or
 * undefined for an address that is reachable on the internet. Anything that is not an IP address
 * at all is refused too (a resolver should never answer one).
 */
export function specialRange(address: string): string | undefined {
  const v = isIP(address);
  if (v === 4) return SPECIAL_V4.find((r) => inRange(v4Bits(address), 32, r.cidr))?.what;
  if (v !== 6) return 'not an IP address';
  const bits = v6Bits(address);
  return SPECIAL_V6.find((r) => inRange(bits, 128, r.cidr))?.what;
}

/**
 * The ranges of one family for an nftables interval set: without those another range already
 * covers (nft refuses overlapping elements), e.g. ::1/128 inside ::/96.
 */
export function specialCidrs(family: 4 | 6): string[] {
  const list = family === 4 ? SPECIAL_V4 : SPECIAL_V6;
  const width = family === 4 ? 32 : 128;
  const bits = (cidr: string) => (family === 4 ? v4Bits : v6Bits)(cidr.split('/')[0]!);
  const len = (cidr: string) => Number(cidr.split('/')[1]);
  const covers = (o: SpecialRange, r: SpecialRange) =>
    len(o.cidr) <= len(r.cidr) && inRange(bits(r.cidr), width, o.cidr);
  // nft's scanner misreads some dotted IPv6 forms ("64:ff9b::0.0.0.0"): IPv6 goes as 8 hex groups.
  const hex = (cidr: string) =>
    `${Array.from({ length: 8 }, (_, i) => ((bits(cidr) >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')}/${len(cidr)}`;
  return list
    .filter((r) => !list.some((o) => o !== r && covers(o, r)))
    .map((r) => (family === 4 ? r.cidr : hex(r.cidr)));
}
