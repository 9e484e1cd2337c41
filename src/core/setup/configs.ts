import { type Destination, type EgressOwners, egressTableParts } from './egress.js';
import type { ApplianceSpec } from './schema.js';

/** Text of the configuration files setup manages. Pure: the same spec gives the same bytes. */

const HEADER = '# Managed by `blueprint setup` / `blueprint apply`: edits here are overwritten.\n';

/**
 * sshd reads drop-ins before the rest of sshd_config and keeps the first value it sees, so these
 * settings win over Debian's defaults. Algorithms: only AEAD ciphers, encrypt-then-MAC, and
 * curve25519/sntrup KEX (what ssh-audit recommends for OpenSSH 9.2).
 */
export function sshdDropIn(spec: ApplianceSpec): string {
  const admins = spec.users.map((u) => u.name);
  return `${HEADER}${spec.ssh.port !== 22 ? `Port ${spec.ssh.port}\n` : ''}PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
AuthenticationMethods publickey
${admins.length ? `AllowUsers ${admins.join(' ')}\n` : ''}MaxAuthTries 3
MaxSessions 4
LoginGraceTime 30
ClientAliveInterval 300
ClientAliveCountMax 2
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
GatewayPorts no
PermitUserEnvironment no
LogLevel VERBOSE
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
HostKeyAlgorithms ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256
${dashboardForwarding(spec)}`;
}

/**
 * With the web dashboard on, admins may forward a local port to a unix socket on the box
 * (`ssh -L 8080:/run/blueprint/dashboard.sock admin@box`); remote forwards (-R), listening on the
 * box, agent, X11 and tunnels stay off. The image's hardening drop-in says `DisableForwarding yes`
 * globally; a Match block's values win over global ones for the users it matches (sshd scopes a
 * Match in an included file to that file). Which socket is reachable is the filesystem's call:
 * dashboard.sock is root:sudo 0660.
 *
 * OpenSSH (9.2, and still marked "XXX - streamlocal?" in session.c) refuses every local socket
 * forward when `AllowTcpForwarding` lacks `local`, and `PermitOpen` cannot name a path (any
 * PermitOpen list refuses sockets), so local TCP forwards come with it. For an admin, who has a
 * shell and sudo on the box, that reaches nothing new; nothing is ever opened on the box itself.
 */
function dashboardForwarding(spec: ApplianceSpec): string {
  const admins = spec.users.filter((u) => u.admin).map((u) => u.name);
  if (!spec.dashboard.enabled || admins.length === 0) return '';
  return `Match User ${admins.join(',')}
	DisableForwarding no
	AllowStreamLocalForwarding local
	AllowTcpForwarding local
	PermitListen none
	GatewayPorts no
	AllowAgentForwarding no
	X11Forwarding no
	PermitTunnel no
`;
}

/**
 * Default-deny firewall, both ways: in, loopback, replies, ICMP needed for a working network, SSH
 * only when on; out, the allow-list `egress` (egress.ts), everything else dropped and counted.
 */
export function nftablesRules(
  spec: Pick<ApplianceSpec, 'ssh'>,
  egress: Destination[],
  owners: EgressOwners = {},
): string {
  const out = egressTableParts(egress, owners);
  const ssh = spec.ssh.enabled
    ? `    tcp dport ${spec.ssh.port} ct state new limit rate 15/minute burst 10 packets accept\n`
    : '';
  return `#!/usr/sbin/nft -f
${HEADER}# Only this table is replaced: a whole-ruleset flush would also drop the NAT rules netavark
# keeps for running containers.
table inet blueprint
delete table inet blueprint

table inet blueprint {
${out.declarations}
  # Who sent echo requests lately, each with its own limit (an IPv6 /64: a host picks addresses
  # from its /64 at will). Bounded, an entry gone 5 s after its sender's last request: spoofed
  # sources can fill it, no more, and a sender it has no room for shares one limit with the others.
  set echo_v4 { type ipv4_addr; flags dynamic,timeout; timeout 5s; size 8192; }
  set echo_v6 { type ipv6_addr; flags dynamic,timeout; timeout 5s; size 8192; }
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    # Echo requests before conntrack's verdict: once one is answered, later ones with the same
    # echo id (all of ping -f's) are "established", and a limit after that line never sees them.
    # 10 a second for each sender, so one sender's flood no longer spends everyone's answers; a
    # sender over its own limit is dropped, one the full set has no room for takes the shared one.
    # (A lookup in the set runs the element's limit again; "!=" only asks whether it is there.)
    # All senders together get 100 a second: each new sender's burst would otherwise be answered,
    # so spoofed sources (a victim's network) had the box send up to the set's size times 10 a
    # second, each a conntrack entry too. Over it, a request is dropped (it is in the set).
    icmp type echo-request update @echo_v4 { ip saddr limit rate 10/second } limit rate 100/second burst 100 packets accept
    icmp type echo-request ip saddr != @echo_v4 limit rate 10/second accept
    icmp type echo-request drop
    icmpv6 type echo-request update @echo_v6 { ip6 saddr & ffff:ffff:ffff:ffff:: limit rate 10/second } limit rate 100/second burst 100 packets accept
    icmpv6 type echo-request ip6 saddr & ffff:ffff:ffff:ffff:: != @echo_v6 limit rate 10/second accept
    icmpv6 type echo-request drop
    ct state established,related accept
    ct state invalid drop
    ip protocol icmp icmp type { destination-unreachable, time-exceeded } limit rate 10/second accept
    ip6 nexthdr ipv6-icmp icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
    # Multicast listener queries (a router's, a snooping switch's), answered by the reports the
    # output chain lets out: unanswered, a snooping switch stops forwarding neighbour discovery.
    ip6 saddr fe80::/10 icmpv6 type mld-listener-query accept
    udp dport 68 udp sport 67 accept
    udp dport 546 udp sport 547 accept
${ssh}  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    # Containers of modules with outbound network (Podman's bridges): each container's own table
    # allows only its approved hosts (services/outbound.ts); here they are counted.
    iifname "podman*" ct state new counter name "out_modules" accept
  }
${out.output}
}
`;
}

/**
 * Opens the console when an admin logs in interactively over SSH. `ssh box CMD` runs a non-login
 * shell and never reads this, so scripted use (Ansible, `ssh box blueprint --json status`) is
 * untouched. Quitting the console ends the session; "Drop to a shell" (key `!`, exit code 10)
 * or any failure of the console continues into the normal shell, so an admin is never locked out.
 */
export function loginHook(): string {
  // Each variable the hook does not set itself (but PATH) has a default, and each command that may
  // fail is tested: a profile read before this one may have set -u or -e, and neither may end the
  // login before the admin's shell (test/tui/login-hook).
  return `# shellcheck shell=sh
${HEADER}if [ -n "\${SSH_TTY:-}" ] && [ -z "\${SSH_ORIGINAL_COMMAND:-}" ] && [ -z "\${BLUEPRINT_NO_CONSOLE:-}" ] \\
  && [ -t 0 ] && [ -t 1 ] && command -v blueprint >/dev/null 2>&1; then
  # Admins only: setup lists them in the sudo group's line of /etc/group, read here by the shell
  # itself. Each program started here delays the console's first paint by 10-40 ms on a small box
  # (issue 20; id -Gn was one): the usual path starts sudo and nothing else. Read as glibc reads it:
  # a last line without its line break counts, and blanks before a member are skipped.
  blueprint_admin=
  if [ -n "\${USER:-}" ] && [ -r /etc/group ]; then
    while IFS=: read -r blueprint_group blueprint_x blueprint_x blueprint_members \\
      || [ -n "$blueprint_group" ]; do
      if [ "$blueprint_group" = sudo ]; then
        blueprint_members=$blueprint_members,
        while [ -n "$blueprint_members" ]; do
          blueprint_x=\${blueprint_members%%,*}
          blueprint_members=\${blueprint_members#*,}
          blueprint_x=\${blueprint_x#"\${blueprint_x%%[![:space:]]*}"}
          if [ "$blueprint_x" = "$USER" ]; then blueprint_admin=1; break; fi
        done
        break
      fi
    done </etc/group
  fi
  case $blueprint_admin in
  1)
    # The console manages root's folders (registrations, keys, packages): it runs as root through
    # the admins' password-less sudo (setup's sudoers), named by its full path (sudo's secure_path
    # may not hold it) and with the box's root kept. Without that sudo (sudo -n refuses with 1, as a
    # console that failed also ends: only then is sudo asked again) it opens as the admin and says
    # what it cannot read. Its shell key ends it non-zero: the login goes on as the admin.
    BLUEPRINT_NO_CONSOLE=1
    export BLUEPRINT_NO_CONSOLE
    blueprint_console=0
    if command -v sudo >/dev/null 2>&1; then
      # blueprint's path as command -v finds it, without the shell a command substitution starts
      # (~5 ms).
      blueprint_exe=blueprint
      blueprint_path=$PATH:
      while [ "$blueprint_exe" = blueprint ] && [ -n "$blueprint_path" ]; do
        blueprint_dir=\${blueprint_path%%:*}
        blueprint_path=\${blueprint_path#*:}
        if [ -f "\${blueprint_dir:-.}/blueprint" ] && [ -x "\${blueprint_dir:-.}/blueprint" ]; then
          blueprint_exe=\${blueprint_dir:-.}/blueprint
        fi
      done
      sudo -n --preserve-env=BLUEPRINT_ROOT,BLUEPRINT_NO_CONSOLE "$blueprint_exe" tui --login \\
        || blueprint_console=$?
      if [ "$blueprint_console" -eq 1 ] && ! sudo -n true 2>/dev/null; then
        blueprint_console=0
        blueprint tui --login || blueprint_console=$?
      fi
    else
      blueprint tui --login || blueprint_console=$?
    fi
    if [ "$blueprint_console" -eq 0 ]; then exit 0; fi
    unset BLUEPRINT_NO_CONSOLE blueprint_console blueprint_exe blueprint_path blueprint_dir
    ;;
  esac
  unset blueprint_admin blueprint_group blueprint_members blueprint_x
fi
`;
}

export function sudoers(spec: ApplianceSpec): string | undefined {
  const admins = spec.users.filter((u) => u.admin).map((u) => u.name);
  if (!admins.length) return undefined;
  // Admins log in with keys only and have no password to type, so sudo must not ask for one.
  return `${HEADER}${admins.map((a) => `${a} ALL=(ALL:ALL) NOPASSWD: ALL`).join('\n')}\n`;
}

/**
 * /etc/hosts with the host name on 127.0.1.1 (Debian's convention), so sudo and other tools can
 * resolve it. Other lines are kept as they are.
 */
export function hostsFile(current: string | undefined, hostname: string): string {
  const base = current ?? '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n';
  const lines = base.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const entry = `127.0.1.1\t${hostname}`;
  const at = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (at >= 0) lines[at] = entry;
  else lines.splice(lines.findIndex((l) => l.startsWith('127.0.0.1')) + 1, 0, entry);
  return `${lines.join('\n')}\n`;
}
