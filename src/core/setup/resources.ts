import path from 'node:path';
import { type AccountFiles, planAccounts } from './accounts.js';
import { hostsFile, loginHook, nftablesRules, sshdDropIn, sudoers } from './configs.js';
import {
  autoUpgradesConf,
  type Destination,
  dnsmasqConf,
  type EgressOwners,
  egressDestinations,
  networkdDropIn,
  resolvedConf,
  resolverUid,
  timesyncdConf,
} from './egress.js';
import type { ApplianceSpec } from './schema.js';

/** One thing on disk that setup manages, as it should be. Paths are relative to the root. */
export type Resource =
  | {
      kind: 'file';
      path: string;
      content: string;
      mode: number;
      uid?: number;
      gid?: number;
      /** Existing mode and owner are kept (passwd, shadow): only the content is managed. */
      keepOwnership?: boolean;
      /**
       * A module's settings file: written by setting and unsetting these keys in the file as it is
       * at the write, under `service config`'s lock (`content` is what the plan saw it become).
       */
      settings?: { module: string; set: Record<string, string>; unset: string[] };
      what: string;
    }
  | { kind: 'dir'; path: string; mode: number; uid?: number; gid?: number; what: string }
  | { kind: 'symlink'; path: string; target: string; what: string }
  | { kind: 'absent'; path: string; what: string };

export const SSH_DROP_IN = 'etc/ssh/sshd_config.d/50-blueprint.conf';
export const SSH_WANTS = 'etc/systemd/system/multi-user.target.wants/ssh.service';
export const SSH_SOCKET_WANTS = 'etc/systemd/system/sockets.target.wants/ssh.socket';
export const NFT_RULES = 'etc/nftables.conf';
export const DNSMASQ_CONF = 'etc/dnsmasq.d/50-blueprint.conf';
export const RESOLV_CONF = 'etc/resolv.conf';
export const RESOLVED_CONF = 'etc/systemd/resolved.conf.d/60-blueprint-dns.conf';
export const TIMESYNCD_CONF = 'etc/systemd/timesyncd.conf.d/60-blueprint-ntp.conf';
export const NETWORKD_DROP_IN = 'etc/systemd/network/80-blueprint-dhcp.network.d/60-blueprint.conf';
export const AUTO_UPGRADES = 'etc/apt/apt.conf.d/21blueprint-auto-upgrades';
/** The choices the egress files are built from, so `bpkg repo add` can build them again. */
export const NETWORK_CHOICES = 'etc/blueprint/network.json';
export const NFT_WANTS = 'etc/systemd/system/sysinit.target.wants/nftables.service';
/** The web dashboard's unit ships in the image, off; setup or apply turns it on. */
export const DASHBOARD_UNIT = '/etc/systemd/system/blueprint-web.service';
export const DASHBOARD_WANTS = 'etc/systemd/system/multi-user.target.wants/blueprint-web.service';
export const LOGIN_HOOK = 'etc/profile.d/blueprint-console.sh';
export const SUDOERS = 'etc/sudoers.d/50-blueprint';

/** What a bare root gets so the account files are never written without root's own entries. */
export const BASE_ACCOUNTS: AccountFiles = {
  passwd: 'root:x:0:0:root:/root:/bin/bash\n',
  group: 'root:x:0:\nshadow:x:42:\n',
  shadow: 'root:*:::::::\n',
};

function gidOf(group: string, name: string): number {
  const row = group.split('\n').find((l) => l.startsWith(`${name}:`));
  return row ? Number(row.split(':')[2]) : 0;
}

/**
 * What the box may contact: the spec's choices and repositories plus those configured on disk. A
 * repository the spec names is let out by its URLs only (its mirrors too), in `declared` as
 * egress-disk.ts repositoryUrls gives them (an s3:// one as its endpoint); without it, by the URLs
 * as written, where an s3:// one lets nothing out.
 */
export function specDestinations(
  spec: Pick<ApplianceSpec, 'network' | 'repositories'>,
  configured: { name: string; url: string }[],
  declared: { name: string; url: string }[] = spec.repositories.flatMap((r) =>
    [r.url, ...(r.mirrors ?? [])].map((url) => ({ name: r.name, url })),
  ),
): Destination[] {
  const names = new Set(spec.repositories.map((r) => r.name));
  return egressDestinations(spec.network, [...declared, ...configured.filter((r) => !names.has(r.name))]);
}

/** The files of default-deny egress (issue 19), built from the choices and the destinations. */
export function egressResources(
  spec: Pick<ApplianceSpec, 'network' | 'ssh'>,
  dests: Destination[],
  owners: EgressOwners = {},
): Resource[] {
  const f = (p: string, content: string, what: string): Resource => ({
    kind: 'file',
    path: p,
    content,
    mode: 0o644,
    what,
  });
  const dns = spec.network.dns.servers.length
    ? `DNS: ${spec.network.dns.servers.join(', ')}${spec.network.dns.tls ? ' over TLS' : ''}`
    : 'DNS: servers from DHCP';
  return [
    f(
      NETWORK_CHOICES,
      `${JSON.stringify({ network: spec.network, ssh: spec.ssh }, null, 2)}\n`,
      'network choices',
    ),
    {
      kind: 'file',
      path: NFT_RULES,
      content: nftablesRules(spec, dests, owners),
      mode: 0o755,
      what: `firewall rules (${dests.length} allowed destinations)`,
    },
    f(DNSMASQ_CONF, dnsmasqConf(dests), 'local resolver that lets allowed names through'),
    f(
      RESOLV_CONF,
      'nameserver 127.0.0.1\noptions edns0 trust-ad\n',
      'programs resolve through the local resolver',
    ),
    f(RESOLVED_CONF, resolvedConf(spec.network), dns),
    f(
      TIMESYNCD_CONF,
      timesyncdConf(spec.network),
      spec.network.ntp === 'none' ? 'NTP: none' : `NTP: ${spec.network.ntp.join(', ')}`,
    ),
    f(
      NETWORKD_DROP_IN,
      networkdDropIn(spec.network),
      // As networkdDropIn: DHCP's DNS servers are refused only when servers are chosen (QA14).
      spec.network.dns.servers.length
        ? 'DHCP gives addresses, not DNS or time servers'
        : 'DHCP gives addresses and DNS servers, not time servers',
    ),
    f(
      AUTO_UPGRADES,
      autoUpgradesConf(spec.network),
      `unattended upgrades ${spec.network.unattendedUpgrades ? 'on' : 'off'}`,
    ),
  ];
}

/** Everything on disk the spec implies, given the account files currently under the root. */
export function desiredResources(
  spec: ApplianceSpec,
  current: AccountFiles,
  hosts?: string,
  configured: { name: string; url: string }[] = [],
  declared?: { name: string; url: string }[],
): Resource[] {
  // Users the description leaves out are the box's (plan-kept.ts): named in the SSH and sudo
  // policy as they are, their accounts and key files left alone.
  const keep = spec.unmanaged?.includes('users') ?? false;
  const { files, accounts } = planAccounts(current, keep ? [] : spec.users);
  const shadowGid = gidOf(files.group, 'shadow');
  const out: Resource[] = [
    { kind: 'file', path: 'etc/hostname', content: `${spec.hostname}\n`, mode: 0o644, what: 'host name' },
    {
      kind: 'file',
      path: 'etc/hosts',
      content: hostsFile(hosts, spec.hostname),
      mode: 0o644,
      keepOwnership: true,
      what: 'host name resolves locally',
    },
    { kind: 'file', path: 'etc/timezone', content: `${spec.timezone}\n`, mode: 0o644, what: 'time zone' },
    {
      kind: 'symlink',
      path: 'etc/localtime',
      target: `/usr/share/zoneinfo/${spec.timezone}`,
      what: 'time zone',
    },
    {
      kind: 'file',
      path: 'etc/passwd',
      content: files.passwd,
      mode: 0o644,
      keepOwnership: true,
      what: 'accounts',
    },
    {
      kind: 'file',
      path: 'etc/group',
      content: files.group,
      mode: 0o644,
      keepOwnership: true,
      what: 'groups',
    },
    {
      kind: 'file',
      path: 'etc/shadow',
      content: files.shadow,
      mode: 0o640,
      uid: 0,
      gid: shadowGid,
      keepOwnership: true,
      // A console password (QA18) is only ever its crypt(3) hash.
      what:
        !keep && spec.users.some((u) => u.passwordHash)
          ? 'accounts (console password hash)'
          : 'accounts (no passwords)',
    },
  ];
  if (files.gshadow !== undefined)
    out.push({
      kind: 'file',
      path: 'etc/gshadow',
      content: files.gshadow,
      mode: 0o640,
      uid: 0,
      gid: shadowGid,
      keepOwnership: true,
      what: 'groups',
    });
  for (const a of accounts) {
    const user = spec.users.find((u) => u.name === a.name)!;
    const home = a.home.replace(/^\/+/, '');
    const own = { uid: a.uid, gid: a.gid };
    out.push(
      { kind: 'dir', path: home, mode: 0o750, ...own, what: `home of ${a.name}` },
      { kind: 'dir', path: path.join(home, '.ssh'), mode: 0o700, ...own, what: `SSH directory of ${a.name}` },
      {
        kind: 'file',
        path: path.join(home, '.ssh/authorized_keys'),
        content: `${user.keys.join('\n')}\n`,
        mode: 0o600,
        ...own,
        what: `SSH keys of ${a.name} (${user.keys.length})`,
      },
    );
  }
  const sudo = sudoers(spec);
  if (!keep)
    out.push(
      sudo
        ? {
            kind: 'file',
            path: SUDOERS,
            content: sudo,
            mode: 0o440,
            uid: 0,
            gid: 0,
            what: 'passwordless sudo for admins',
          }
        : { kind: 'absent', path: SUDOERS, what: 'no admins: no sudo rule' },
    );
  out.push(
    {
      kind: 'file',
      path: SSH_DROP_IN,
      content: sshdDropIn(spec),
      mode: 0o644,
      what: 'hardened SSH server settings',
    },
    { kind: 'file', path: LOGIN_HOOK, content: loginHook(), mode: 0o644, what: 'console on admin SSH login' },
    ...egressResources(spec, specDestinations(spec, configured, declared), {
      resolverUid: resolverUid(files.passwd),
    }),
    {
      kind: 'symlink',
      path: NFT_WANTS,
      target: '/lib/systemd/system/nftables.service',
      what: 'firewall at boot',
    },
  );
  if (spec.ssh.enabled)
    out.push({ kind: 'symlink', path: SSH_WANTS, target: '/lib/systemd/system/ssh.service', what: 'SSH on' });
  else out.push({ kind: 'absent', path: SSH_WANTS, what: 'SSH off' });
  out.push(
    spec.dashboard.enabled
      ? {
          kind: 'symlink',
          path: DASHBOARD_WANTS,
          target: DASHBOARD_UNIT,
          what: 'web dashboard on (unix socket)',
        }
      : { kind: 'absent', path: DASHBOARD_WANTS, what: 'web dashboard off' },
  );
  // Debian can start sshd from a socket unit too: off in both cases, ssh.service is the one switch.
  out.push({ kind: 'absent', path: SSH_SOCKET_WANTS, what: 'no socket-activated SSH' });
  return out;
}
