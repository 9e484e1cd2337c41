import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A socket listening on this machine, from the kernel's /proc/net tables. */
export interface Listener {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
  /** Reachable from other machines unless a firewall says otherwise (not loopback-only). */
  exposed: boolean;
}

function ipv4(hex: string): string {
  // /proc stores the address in host (little-endian) byte order.
  return [hex.slice(6, 8), hex.slice(4, 6), hex.slice(2, 4), hex.slice(0, 2)]
    .map((b) => Number.parseInt(b, 16))
    .join('.');
}

function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    const le = w.slice(6, 8) + w.slice(4, 6) + w.slice(2, 4) + w.slice(0, 2);
    words.push(le.slice(0, 4), le.slice(4, 8));
  }
  const full = words.map((w) => w.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (mapped) {
    const n = (Number.parseInt(mapped[1]!, 16) << 16) | Number.parseInt(mapped[2]!, 16);
    return `::ffff:${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}`;
  }
  return full;
}

const loopback = (a: string) => a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');

/** Parses /proc/net/{tcp,udp}[6]: TCP sockets in LISTEN (0A), UDP sockets bound (07, unconnected). */
export function parseProcNet(text: string, proto: Listener['proto']): Listener[] {
  const want = proto.startsWith('tcp') ? '0A' : '07';
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== want) continue;
    const [addrHex, portHex] = f[1]!.split(':') as [string, string];
    const address = proto.endsWith('6') ? ipv6(addrHex) : ipv4(addrHex);
    out.push({ proto, address, port: Number.parseInt(portHex, 16), exposed: !loopback(address) });
  }
  return out;
}

export interface ExposureAudit {
  listeners: Listener[];
  /** The root's firewall rules: managed by blueprint (default deny), someone else's, or none. */
  firewall: 'blueprint' | 'other' | 'none';
  /** Ports the firewall lets in (from blueprint's rules). */
  allowedPorts: number[];
}

export async function exposureAudit(root: string): Promise<ExposureAudit> {
  const listeners: Listener[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const text = await readFile(`/proc/net/${proto}`, 'utf8').catch(() => '');
    listeners.push(...parseProcNet(text, proto));
  }
  const seen = new Set<string>();
  const unique = listeners.filter((l) => {
    const k = `${l.proto}|${l.address}|${l.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const rules = await readFile(path.join(root, 'etc/nftables.conf'), 'utf8').catch(() => undefined);
  const firewall =
    rules === undefined ? 'none' : rules.includes('Managed by `blueprint') ? 'blueprint' : 'other';
  const allowedPorts = [...(rules ?? '').matchAll(/dport (\d+) ct state new/g)].map((m) => Number(m[1]));
  return { listeners: unique.sort((a, b) => a.port - b.port), firewall, allowedPorts };
}
