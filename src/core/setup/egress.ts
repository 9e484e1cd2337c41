import { isIP } from 'node:net';
import { specialCidrs } from '../system/egress-special.js';

/**
 * Default-deny egress (issue 19): what the box may contact, built from its configuration, and the
 * text of the files that enforce it — the nftables output chain, and dnsmasq's `nftset=` lines that
 * fill the chain's address sets as names are resolved, so the allow-list follows names, not the
 * addresses they had when setup ran. Pure: the same configuration gives the same bytes.
 */

/** The table every rule of the box lives in (also read back by `audit outbound`). */
export const NFT_TABLE = 'blueprint';
/** Seconds an address a name resolved to stays allowed without being looked up again. */
export const NAME_TTL_S = 3600;
/** How many destinations each audit set remembers (the kernel evicts none: a full set adds none). */
export const AUDIT_SET_SIZE = 4096;

export type Purpose = 'dns' | 'ntp' | 'repositories' | 'updates' | 'modules' | 'admin';

/** One allowed destination. `host` is an IPv4 or IPv6 address, a DNS name, or `*` (any address). */
export interface Destination {
  purpose: Purpose;
  host: string;
  proto: 'tcp' | 'udp';
  port: number;
  /** What in the configuration put it there (a repository's name, a DNS server…). */
  source: string;
}

/** The network choices of setup (`network` in the spec and the answers file). */
export interface NetworkChoices {
  dns: { servers: string[]; tls: boolean };
  ntp: string[] | 'none';
  unattendedUpgrades: boolean;
  /** The Debian mirrors apt and unattended-upgrades fetch from (the image's sources). */
  debianMirrors: string[];
  /** More destinations the admin allows, "host:port" (TCP), e.g. where a repository redirects. */
  allow: string[];
}

/**
 * Hosts a registry sends its clients to besides itself: its token service and the storage its
 * blob downloads redirect to. Others an admin adds with `network.allow`.
 */
export const REGISTRY_HOSTS: Record<string, string[]> = {
  'ghcr.io': ['pkg-containers.githubusercontent.com'],
  'docker.io': ['registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com'],
  'registry-1.docker.io': ['auth.docker.io', 'production.cloudflare.docker.com'],
  'quay.io': ['cdn.quay.io', 'cdn01.quay.io', 'cdn02.quay.io', 'cdn03.quay.io'],
};

export const DEFAULT_NTP = [
  '0.debian.pool.ntp.org',
  '1.debian.pool.ntp.org',
  '2.debian.pool.ntp.org',
  '3.debian.pool.ntp.org',
];
export const DEFAULT_DEBIAN_MIRRORS = [
  'http://deb.debian.org/debian',
  'http://deb.debian.org/debian-security',
];

/** `9.9.9.9` or `9.9.9.9#dns.quad9.net` (systemd-resolved's form: the name the TLS certificate has). */
export function dnsServerAddress(server: string): string {
  return server.split('#')[0]!.replace(/^\[|\]$/g, '');
}

const DNS_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i;

/**
 * Whether `host` may stand in the allow-list: an IP address without an IPv6 zone (nft has no
 * syntax for `fe80::1%eth0`, and one such address makes the whole rules file fail to load, the box
 * then booting with no firewall at all), or a DNS name of letters, digits, dashes and dots. Not
 * `*`, the list's own word for any address, nor what else a URL parser takes as a host (`*.org`,
 * `a}b`): a URL `https://*:8443/` would otherwise open that port to every address.
 */
export function isDestinationHost(host: string): boolean {
  if (isIP(host) !== 0) return !host.includes('%');
  return host.length <= 253 && DNS_NAME.test(host);
}

/**
 * Host and port of a repository URL: http(s), and oci://REGISTRY[:PORT]/NAME (HTTPS to the
 * registry). file:// and other local sources need no network; s3:// is turned into its HTTPS
 * endpoint by the caller (egress-disk.ts), which knows the region. A host isDestinationHost
 * refuses gives no destination: that repository is not let out.
 */
export function urlDestination(url: string): { host: string; port: number } | undefined {
  if (url.startsWith('oci://')) return urlDestination(`https://${url.slice('oci://'.length)}`);
  if (!URL.canParse(url)) return undefined;
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!isDestinationHost(host)) return undefined;
  return { host, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
}

const DHCP_RESOLVER = 'resolver from DHCP';

/** Every destination the configuration allows, in a stable order. */
export function egressDestinations(
  net: NetworkChoices,
  repositories: { name: string; url: string }[],
): Destination[] {
  const out: Destination[] = [];
  const add = (d: Destination) => {
    // Stored choices from before the schema refused such hosts, and anything else: never `*` or
    // a host nft cannot parse (isDestinationHost). Only the DHCP resolver below is `*`.
    if (d.host === '*' ? d.source !== DHCP_RESOLVER : !isDestinationHost(d.host)) return;
    if (
      !out.some(
        (o) => o.purpose === d.purpose && o.host === d.host && o.proto === d.proto && o.port === d.port,
      )
    )
      out.push(d);
  };
  // DNS leaves the box from systemd-resolved only (dnsmasq on 127.0.0.1 forwards to its stub).
  const servers = net.dns.servers.map(dnsServerAddress);
  if (!servers.length)
    for (const proto of ['udp', 'tcp'] as const)
      add({ purpose: 'dns', host: '*', proto, port: 53, source: DHCP_RESOLVER });
  for (const s of servers)
    if (net.dns.tls)
      add({ purpose: 'dns', host: s, proto: 'tcp', port: 853, source: `DNS-over-TLS server ${s}` });
    else
      for (const proto of ['udp', 'tcp'] as const)
        add({ purpose: 'dns', host: s, proto, port: 53, source: `DNS server ${s}` });
  if (net.ntp !== 'none')
    for (const s of net.ntp)
      add({ purpose: 'ntp', host: s.toLowerCase(), proto: 'udp', port: 123, source: `NTP server ${s}` });
  for (const r of repositories) {
    const d = urlDestination(r.url);
    if (!d) continue;
    add({ purpose: 'repositories', ...d, proto: 'tcp', source: `repository ${r.name}` });
    // Own keys only: a repository at https://constructor/ is a name, not Object's constructor.
    for (const host of Object.hasOwn(REGISTRY_HOSTS, d.host) ? REGISTRY_HOSTS[d.host]! : [])
      add({
        purpose: 'repositories',
        host,
        port: 443,
        proto: 'tcp',
        source: `repository ${r.name} (${d.host})`,
      });
  }
  for (const entry of net.allow) {
    const at = entry.lastIndexOf(':');
    const host = entry
      .slice(0, at)
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
    add({
      purpose: 'admin',
      host,
      port: Number(entry.slice(at + 1)),
      proto: 'tcp',
      source: 'allowed by the admin',
    });
  }
  if (net.unattendedUpgrades)
    for (const m of net.debianMirrors) {
      const d = urlDestination(m);
      if (d) add({ purpose: 'updates', ...d, proto: 'tcp', source: `Debian mirror ${m}` });
    }
  return out;
}

const family = (host: string) => isIP(host);
const isName = (host: string) => host !== '*' && isIP(host) === 0;

/** The name of the set dnsmasq fills for one purpose, protocol and port. */
export function nameSet(d: Pick<Destination, 'purpose' | 'proto' | 'port'>, v: 4 | 6): string {
  return `${d.purpose}_${d.proto}_${d.port}_v${v}`;
}

type Group = { purpose: Purpose; proto: 'tcp' | 'udp'; port: number; hosts: string[] };

function groups(dests: Destination[]): Group[] {
  const out: Group[] = [];
  for (const d of dests) {
    let g = out.find((o) => o.purpose === d.purpose && o.proto === d.proto && o.port === d.port);
    if (!g) {
      g = { purpose: d.purpose, proto: d.proto, port: d.port, hosts: [] };
      out.push(g);
    }
    g.hosts.push(d.host);
  }
  return out;
}

const track = (v: 4 | 6) =>
  `update @allowed_v${v} { ${v === 4 ? 'ip' : 'ip6'} daddr . meta l4proto . th dport counter }`;

/** The uid of systemd-resolve in a passwd file's text, if it has that user. */
export function resolverUid(passwd: string): number | undefined {
  const row = passwd.split('\n').find((l) => l.startsWith('systemd-resolve:'));
  const uid = row ? Number(row.split(':')[2]) : Number.NaN;
  return Number.isInteger(uid) && uid > 0 ? uid : undefined;
}

/** Who may send what: DNS leaves the box from systemd-resolved alone when its user id is known. */
export interface EgressOwners {
  /** The uid of systemd-resolve (from the root's /etc/passwd). */
  resolverUid?: number;
}

/** The output chain's rules for the allowed destinations, one per group, family and kind of host. */
function allowRules(dests: Destination[], owners: EgressOwners): string[] {
  const rules: string[] = [];
  for (const g of groups(dests)) {
    // Port 53 to any address would otherwise be a way out for every process.
    const who =
      g.purpose === 'dns' && owners.resolverUid !== undefined ? `meta skuid ${owners.resolverUid} ` : '';
    const pp = `${who}${g.proto} dport ${g.port}`;
    const end = (v: 4 | 6) => `${track(v)} counter name "out_${g.purpose}" accept`;
    if (g.hosts.includes('*')) {
      rules.push(`meta nfproto ipv4 ${pp} ${end(4)}`, `meta nfproto ipv6 ${pp} ${end(6)}`);
      continue;
    }
    const v4 = g.hosts.filter((h) => family(h) === 4);
    const v6 = g.hosts.filter((h) => family(h) === 6);
    if (v4.length) rules.push(`ip daddr { ${v4.join(', ')} } ${pp} ${end(4)}`);
    if (v6.length) rules.push(`ip6 daddr { ${v6.join(', ')} } ${pp} ${end(6)}`);
    if (!g.hosts.some(isName)) continue;
    // dnsmasq adds whatever DNS answers for an allowed name, and DNS is whoever controls the name
    // (or rebinds it later): an address of the LAN, the host or the cloud metadata service is
    // counted and logged here, then falls through to the blocked ones. A LAN host the admin means
    // is allowed by its address (the rules above), never through a name.
    const log = `limit rate 6/minute burst 5 packets log prefix "blueprint egress: ${g.purpose} name (${g.proto}/${g.port}) gave a private address, refused: " level warn`;
    for (const v of [4, 6] as const) {
      const ip = v === 4 ? 'ip' : 'ip6';
      rules.push(
        `${ip} daddr @${nameSet(g, v)} ${ip} daddr @special_v${v} ${pp} counter name "out_private" ${log}`,
        `${ip} daddr @${nameSet(g, v)} ${ip} daddr != @special_v${v} ${pp} ${end(v)}`,
      );
    }
  }
  return rules;
}

const PURPOSES: Purpose[] = ['dns', 'ntp', 'repositories', 'updates', 'modules', 'admin'];

/** Counters, sets and the output chain of the `blueprint` table (the input chain is setup's). */
export function egressTableParts(
  dests: Destination[],
  owners: EgressOwners = {},
): { declarations: string; output: string } {
  const decl: string[] = [];
  for (const p of [...PURPOSES, 'loopback', 'replies', 'network', 'private', 'blocked'])
    decl.push(`  counter out_${p} { }`);
  // What an allowed name's address may not be (system/egress-special.ts: LAN, loopback, link-local…).
  for (const v of [4, 6] as const)
    decl.push(
      `  set special_v${v} { type ipv${v}_addr; flags interval; elements = { ${specialCidrs(v).join(', ')} }; }`,
    );
  for (const g of groups(dests))
    if (g.hosts.some(isName))
      for (const v of [4, 6] as const)
        decl.push(`  set ${nameSet(g, v)} { type ipv${v}_addr; flags timeout; timeout ${NAME_TTL_S}s; }`);
  for (const kind of ['allowed', 'blocked'])
    for (const v of [4, 6] as const)
      decl.push(
        `  set ${kind}_v${v} { type ipv${v}_addr . inet_proto . inet_service; flags dynamic,timeout; timeout 7d; size ${AUDIT_SET_SIZE}; }`,
      );
  const rules = [
    'type filter hook output priority filter; policy drop;',
    'oif "lo" counter name "out_loopback" accept',
    'ct state established,related counter name "out_replies" accept',
    'ct state invalid drop',
    // Without these the box has no address and finds no neighbour: link-local, never routed.
    'udp sport 68 udp dport 67 counter name "out_network" accept',
    'udp sport 546 udp dport 547 counter name "out_network" accept',
    'icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } counter name "out_network" accept',
    ...allowRules(dests, owners),
    `meta nfproto ipv4 update @blocked_v4 { ip daddr . meta l4proto . th dport counter }`,
    `meta nfproto ipv6 update @blocked_v6 { ip6 daddr . meta l4proto . th dport counter }`,
    'limit rate 6/minute burst 5 packets log prefix "blueprint egress blocked: " level info',
    'counter name "out_blocked" drop',
  ];
  return {
    declarations: decl.join('\n'),
    output: `  chain output {\n${rules.map((r) => `    ${r}`).join('\n')}\n  }`,
  };
}

/**
 * dnsmasq, on 127.0.0.1 only, forwarding to systemd-resolved's stub: each answer for a listed
 * name (or a name under it) adds its addresses to that name's sets. dnsmasq applies only the
 * longest matching `nftset=` line to a name, so each line carries the sets of every listed
 * name it is under too. It fills the sets from upstream answers only, never from its cache, and
 * adding an address already in a set does not renew its timeout: so dnsmasq keeps no cache
 * (systemd-resolved, its upstream, has one) and every lookup puts an expired address back.
 * Its queries leave from 127.0.0.1 (`@` source): by default dnsmasq sends each from a fresh
 * random port on 0.0.0.0, sockets the listener audit rightly counts as open on every address.
 */
export function dnsmasqConf(dests: Destination[]): string {
  const names = [...new Set(dests.filter((d) => isName(d.host)).map((d) => d.host))].sort();
  const under = (h: string, n: string) => h === n || h.endsWith(`.${n}`);
  const lines = names.map((h) => {
    const sets = dests
      .filter((d) => isName(d.host) && under(h, d.host))
      .flatMap((d) => [`4#inet#${NFT_TABLE}#${nameSet(d, 4)}`, `6#inet#${NFT_TABLE}#${nameSet(d, 6)}`]);
    return `nftset=/${h}/${[...new Set(sets)].join(',')}`;
  });
  return `# Managed by \`blueprint setup\` / \`blueprint apply\`: edits here are overwritten.
# Resolves for the box on 127.0.0.1 and lets through the addresses of allowed names (issue 19).
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
server=127.0.0.53@127.0.0.1
cache-size=0
${lines.join('\n')}${lines.length ? '\n' : ''}`;
}

/** systemd-resolved: the chosen servers, over TLS when asked; none means the ones DHCP gave. */
export function resolvedConf(net: NetworkChoices): string {
  return `# Managed by \`blueprint setup\` / \`blueprint apply\`: edits here are overwritten.
[Resolve]
${net.dns.servers.length ? `DNS=${net.dns.servers.join(' ')}\nDomains=~.\n` : ''}FallbackDNS=
DNSOverTLS=${net.dns.tls ? 'yes' : 'no'}
`;
}

/** systemd-timesyncd: the chosen servers, or none (no fallback to Debian's pool either). */
export function timesyncdConf(net: NetworkChoices): string {
  return `# Managed by \`blueprint setup\` / \`blueprint apply\`: edits here are overwritten.
[Time]
NTP=${net.ntp === 'none' ? '' : net.ntp.join(' ')}
FallbackNTP=
`;
}

/** systemd-networkd: DHCP's DNS servers are not used when setup chose its own, nor DHCP's NTP ever. */
export function networkdDropIn(net: NetworkChoices): string {
  const dns = net.dns.servers.length ? 'UseDNS=no\n' : '';
  return `# Managed by \`blueprint setup\` / \`blueprint apply\`: edits here are overwritten.
[DHCPv4]
${dns}UseNTP=no

[IPv6AcceptRA]
${dns}
[DHCPv6]
${dns}UseNTP=no
`;
}

/** Sorted after the image's 20auto-upgrades, so this file's values win. */
export function autoUpgradesConf(net: NetworkChoices): string {
  const on = net.unattendedUpgrades ? '1' : '0';
  return `// Managed by \`blueprint setup\` / \`blueprint apply\`: edits here are overwritten.
APT::Periodic::Update-Package-Lists "${on}";
APT::Periodic::Unattended-Upgrade "${on}";
`;
}
