import type { BoxStatus, EgressSummary, ListenerRole, SystemSummary } from '../app/index.js';
import { encryptionLine, recoveryKeyNoteLine } from './encryption.js';
import { escapeLine } from './escape.js';
import { packageCount } from './packages.js';
import { shownHint } from './root-in-hints.js';
import { statusModuleNote } from './status-services.js';
import { bytes, duration } from './units.js';

/**
 * A service list in one line: `hello running, llm running (loaded tiny), embeddings exited`, or why
 * it is unknown.
 */
export function servicesLine(
  services: BoxStatus['services'],
  damaged: BoxStatus['damagedServices'] = [],
): string {
  if (!Array.isArray(services)) return `unknown (${escapeLine(services.error)})`;
  // A damaged registration: its row in `blueprint service list` says what is wrong and the fix.
  const rows = [
    ...services.map((s) => {
      // Who uses it, and what the running module says of itself (its loaded models), in brackets.
      const notes = [s.usedBy?.length ? `used by ${s.usedBy.join(', ')}` : '', statusModuleNote(s)].filter(
        Boolean,
      );
      return [s.name, `${s.name} ${s.state}${notes.length ? ` (${notes.join('; ')})` : ''}`] as const;
    }),
    ...damaged.map(
      (d) => [d.name, `${escapeLine(d.name)} registration damaged (see blueprint service list)`] as const,
    ),
  ].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.length ? rows.map(([, text]) => text).join(', ') : 'none installed';
}

/** The OS in one line: `version 1.4.2, slot A booted, B boots next`, or the slots unknown (why). */
export function systemLine(s: SystemSummary): string {
  const version = `version ${s.version ? escapeLine(s.version) : 'unknown'}`;
  // Why there are none is `blueprint system status`'s to say: here, that there are none.
  if (s.slotsAbsent) return `${version}, no A/B slots`;
  if (!s.slotsAvailable)
    return `${version}, slots unknown (${escapeLine(s.slotsUnavailable?.message ?? '')})`;
  const booted = `slot ${escapeLine(s.bootedSlot ?? 'unknown')} booted`;
  if (s.nextSlot !== null && s.nextSlot === s.bootedSlot) return `${version}, ${booted} and boots next`;
  return `${version}, ${booted}, ${s.nextSlot === null ? 'next unknown' : `${escapeLine(s.nextSlot)} boots next`}`;
}

/** Where every destination allowed out is listed: the one list on the box that has them all. */
const WHOLE_LIST = ' (all: blueprint --json status)';

/**
 * Egress in one line: `default deny; 9 allowed out: *:53, …` (the first three, then where the
 * whole list is). `width`: at most that long (the console), as many destinations as fit, the
 * pointer to the whole list where one destination still fits beside it.
 */
export function egressLine(e: EgressSummary, width?: number): string {
  if (e.policy === 'none') return 'not restricted (no firewall rules at etc/nftables.conf)';
  if (e.policy === 'other') return 'firewall rules not managed by blueprint';
  if (e.error) return `default deny; allowed out unknown (${escapeLine(e.error)})`;
  if (!e.destinations.length) return 'default deny; nothing allowed out';
  const all = e.destinations.map(escapeLine);
  const head = `default deny; ${all.length} allowed out: `;
  const line = (n: number, pointer: boolean) =>
    `${head}${[...all.slice(0, n), ...(n < all.length ? ['…'] : [])].join(', ')}${n < all.length && pointer ? WHOLE_LIST : ''}`;
  if (width === undefined) return line(Math.min(3, all.length), true);
  const most = (pointer: boolean) => {
    let n = 0;
    while (n < Math.min(3, all.length) && line(n + 1, pointer).length <= width) n++;
    return n;
  };
  if (line(all.length, false).length <= width && all.length <= 3) return line(all.length, false);
  return most(true) > 0 ? line(most(true), true) : line(most(false), false);
}

/** `blueprint status` for people: the same facts as the TUI dashboard and the web overview. */
/**
 * How many sockets listen beyond loopback, or that none were read: a root without the kernel's
 * socket tables (the demo's) has no listener found, which is not "0". `verb`: the console's and the
 * web's "listen".
 */
export function exposureCount(e: { listeners: unknown[]; socketsRead?: boolean }, verb = ''): string {
  return e.socketsRead === false
    ? "listening sockets not read (no socket tables under this root's proc/net: only a running box's / has them)"
    : `${e.listeners.length} socket(s) ${verb ? `${verb} ` : ''}beyond loopback`;
}

/**
 * Why `audit network` does not flag a listener, or who holds the DHCP client's port (core's codes,
 * system/network.ts). A program's path is the kernel's, anyone's to choose: one line, escaped.
 */
export function listenerRoleText(role: ListenerRole): string {
  if (role.kind === 'ssh') return 'SSH (enabled by the admin)';
  const program = role.program === null ? '(unknown program)' : escapeLine(role.program);
  if (role.kind === 'dhcp-client') return `DHCP client (${program.slice(program.lastIndexOf('/') + 1)})`;
  return `the DHCP client's port, held by ${program}${role.notHostFile ? " (not the host's file)" : ''}`;
}

/** A listener as `--json` gives it: its role's words as `note`, as before the codes (and the code). */
export function withNote<L extends { role?: ListenerRole }>(l: L): L & { note?: string } {
  return l.role ? { ...l, note: listenerRoleText(l.role) } : l;
}

/**
 * What reaches a socket beyond loopback, by the root's firewall: with blueprint's (default deny),
 * a TCP port it opens or a UDP port its DHCP reply rules let in from one source port; else it is
 * reachable. The console's Dashboard and the web's exposure table say it.
 */
export function listenerNote(
  l: { proto: string; port: number | null; role?: ListenerRole },
  e: { firewall: string; allowedPorts: number[]; allowedUdp?: { port: number; from: number }[] },
): string {
  if (l.role) return listenerRoleText(l.role);
  if (e.firewall !== 'blueprint') return 'REACHABLE from the network';
  if (l.proto.startsWith('tcp'))
    return e.allowedPorts.includes(l.port ?? -1)
      ? 'REACHABLE from the network'
      : 'listening; blocked by the firewall';
  const udp = l.proto.startsWith('udp') ? e.allowedUdp?.find((u) => u.port === l.port) : undefined;
  return udp ? `from port ${udp.from} only (DHCP replies)` : 'listening; blocked by the firewall';
}

export function statusText(s: BoxStatus): string {
  const { host } = s;
  return [
    `${host.hostname}: blueprint ${s.version}${s.setUp ? '' : shownHint(' (not set up: run `blueprint setup`)')}`,
    `  system: ${systemLine(s.system)}`,
    `  ${host.arch}, up ${duration(host.uptimeSeconds)}, load ${host.cpu.load.join(' ')}, memory ${bytes(host.memory.totalBytes - host.memory.availableBytes)} of ${bytes(host.memory.totalBytes)}`,
    `  packages: ${s.packagesError ? `unknown (${s.packagesError})` : s.packages.map((p) => `${p.name} ${p.version}`).join(', ') || 'none'}${s.updates.length ? ` (${s.updates.length} upgradable)` : ''}${s.updatesError && s.updatesError !== s.packagesError ? `; updates unknown (${s.updatesError})` : ''}`,
    `  services: ${servicesLine(s.services, s.damagedServices)}`,
    `  exposure: ${exposureCount(s.exposure)}; firewall ${s.exposure.firewall}`,
    `  egress: ${egressLine(s.egress)}`,
    `  ${encryptionLine(s.encryption)}`,
    ...(recoveryKeyNoteLine(s.encryption) ? [`  ${recoveryKeyNoteLine(s.encryption)}`] : []),
  ].join('\n');
}

export { packageCount };
