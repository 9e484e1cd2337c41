import type { BoxStatus } from '../app/index.js';
import { encryptionLine, recoveryKeyNoteLine } from './encryption.js';
import { escapeLine } from './escape.js';
import { packageCount } from './packages.js';
import { shownHint } from './root-in-hints.js';
import { bytes, duration } from './units.js';

/** A service list in one line: `hello running, embeddings exited`, or why it is unknown. */
export function servicesLine(
  services: BoxStatus['services'],
  damaged: BoxStatus['damagedServices'] = [],
): string {
  if (!Array.isArray(services)) return `unknown (${escapeLine(services.error)})`;
  // A damaged registration: its row in `blueprint service list` says what is wrong and the fix.
  const rows = [
    ...services.map(
      (s) =>
        [
          s.name,
          `${s.name} ${s.state}${s.usedBy?.length ? ` (used by ${s.usedBy.join(', ')})` : ''}`,
        ] as const,
    ),
    ...damaged.map(
      (d) => [d.name, `${escapeLine(d.name)} registration damaged (see blueprint service list)`] as const,
    ),
  ].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.length ? rows.map(([, text]) => text).join(', ') : 'none installed';
}

/** `blueprint status` for people: the same facts as the TUI dashboard and the web overview. */
export function statusText(s: BoxStatus): string {
  const { host } = s;
  return [
    `${host.hostname}: blueprint ${s.version}${s.setUp ? '' : shownHint(' (not set up: run `blueprint setup`)')}`,
    `  ${host.arch}, up ${duration(host.uptimeSeconds)}, load ${host.cpu.load.join(' ')}, memory ${bytes(host.memory.totalBytes - host.memory.availableBytes)} of ${bytes(host.memory.totalBytes)}`,
    `  packages: ${s.packagesError ? `unknown (${s.packagesError})` : s.packages.map((p) => `${p.name} ${p.version}`).join(', ') || 'none'}${s.updates.length ? ` (${s.updates.length} upgradable)` : ''}`,
    `  services: ${servicesLine(s.services, s.damagedServices)}`,
    `  exposure: ${s.exposure.listeners.length} socket(s) beyond loopback; firewall ${s.exposure.firewall}`,
    `  ${encryptionLine(s.encryption)}`,
    ...(recoveryKeyNoteLine(s.encryption) ? [`  ${recoveryKeyNoteLine(s.encryption)}`] : []),
  ].join('\n');
}

export { packageCount };
