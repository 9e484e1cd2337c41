/**
 * Where a redirect may not lead: the box itself (loopback, "this network", `localhost`) and
 * link-local addresses (169.254.169.254: cloud metadata services). A repository on another host
 * that redirected the box's fetch there had root's GET reach services that trust local callers
 * (the box's egress rules always allow loopback). http.ts refuses such a hop unless the fetch
 * started on a local address itself (a repository on the box may redirect within it).
 */
import { BlockList, isIP } from 'node:net';
import { BlueprintError } from '../../errors.js';

const LOCAL = new BlockList();
LOCAL.addSubnet('127.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('0.0.0.0', 8, 'ipv4');
LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LOCAL.addAddress('::1', 'ipv6');
LOCAL.addAddress('::', 'ipv6');
LOCAL.addSubnet('fe80::', 10, 'ipv6');

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1, ::ffff:7f00:1) as its IPv4 address. */
function unmapped(address: string): string {
  const m = /^::ffff:(?:([0-9.]+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return address;
  if (m[1]) return m[1];
  const hi = Number.parseInt(m[2]!, 16);
  const lo = Number.parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Whether an IP address (or, for a name, whether it is `localhost`) is the box itself or link-local. */
export function isLocalAddress(host: string): boolean {
  const bare = host
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const a = unmapped(bare);
  const v = isIP(a);
  return v !== 0 && LOCAL.check(a, v === 4 ? 'ipv4' : 'ipv6');
}

export function redirectToLocal(from: string, to: string): BlueprintError {
  return new BlueprintError(
    `${from}: redirected to ${to}, an address of this machine or a link-local one`,
    'redirect-to-local',
    'A repository on another host may not send the box to itself (or to a cloud metadata service): ask its operator, or give a local URL yourself if you mean it.',
  );
}

type Lookup = typeof import('node:dns').lookup;
type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * dns.lookup for a hop a redirect led to: a name that resolves to a local address is refused
 * before anything connects (a name is judged by its answer, not by its spelling).
 */
export function lookupNotLocal(from: string, to: string): Lookup {
  const dns = process.getBuiltinModule('node:dns');
  return ((hostname: string, options: object, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options }, ((err, address, family) => {
      if (err) return callback(err, '', 0);
      const list = Array.isArray(address) ? address : [{ address, family }];
      if (list.some((a) => isLocalAddress(a.address))) return callback(redirectToLocal(from, to), '', 0);
      callback(null, address, family);
    }) as LookupCallback);
  }) as unknown as Lookup;
}
