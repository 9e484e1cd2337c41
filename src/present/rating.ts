import type { Rating, RatingItem } from '../app/index.js';
import { showFingerprint } from './fingerprint.js';

/**
 * The security rating in words (core gives codes and data: src/core/services/rating.ts). Shared by
 * `service inspect`, `service status`, `module lint` and the TUI. Rules: docs/security-rating.md.
 */

const APPARMOR_REASONS: Record<string, string> = {
  'kernel-has-no-apparmor': 'this kernel has no AppArmor',
  'apparmor-disabled': 'AppArmor is disabled on the kernel command line',
  'no-securityfs': "AppArmor's control files (securityfs) are not mounted here, e.g. inside a container",
  unconfined: 'the process runs unconfined',
  'complain-mode': 'the profile only logs (complain mode), it does not enforce',
  'parser-missing': 'apparmor_parser is missing, so the engine applied its default profile',
};

const d = (item: RatingItem, key: string) => String(item.data?.[key] ?? '?');

/**
 * Points that blueprint's sandbox never gives (docs/security-rating.md): a capability, the host's
 * namespaces or ids, a writable root, no seccomp, new privileges, published ports, a mount not
 * declared, the engine or the hardware. What an admin approved (outbound network, a GPU) and the
 * box's AppArmor are not among them.
 */
const OUTSIDE_SANDBOX = new Set<string>([
  'risky-capability',
  'capability',
  'host-pid',
  'host-network',
  'published-ports',
  'no-user-namespace',
  'writable-root',
  'no-seccomp',
  'new-privileges',
  'foreign-mount',
  'engine-api',
  'full-hardware-access',
]);

/** Whether a service's rating (the running container's, when it runs) holds blueprint's sandbox whole. */
export const sandboxWhole = (r: Rating) => !r.items.some((i) => OUTSIDE_SANDBOX.has(i.code));

/** One reason, in words. */
export function reasonText(item: RatingItem): string {
  switch (item.code) {
    case 'base':
      return 'every service starts at 5';
    case 'apparmor-own-profile':
      return item.data?.assumed
        ? `own AppArmor profile ${d(item, 'profile')} (on the appliance, whose kernel has AppArmor)`
        : `confined by its own AppArmor profile ${d(item, 'profile')}`;
    case 'apparmor-engine-default':
      return `AppArmor: the engine's default profile${item.data?.profile ? ` ${d(item, 'profile')}` : ''}, not its own${
        item.data?.reason ? ` (${APPARMOR_REASONS[d(item, 'reason')] ?? d(item, 'reason')})` : ''
      }`;
    case 'apparmor-off':
      return `AppArmor off: ${APPARMOR_REASONS[d(item, 'reason')] ?? d(item, 'reason')}`;
    case 'no-host-network-no-ports':
      return 'no host network and no published ports';
    case 'host-network':
      return "uses the host's network";
    case 'published-ports':
      return `publishes ${d(item, 'count')} port(s) on the host`;
    case 'signed':
      return item.data?.signer === 'at-build'
        ? 'will be signed by `blueprint repo build` (unsigned packages are never installed)'
        : `package signed by ${showFingerprint(d(item, 'signer'))}`;
    case 'unsigned':
      return 'no signed package recorded for this version';
    case 'no-capabilities':
      return 'no capabilities';
    case 'risky-capability':
      return `risky capability ${d(item, 'capability')}`;
    case 'capability':
      return `capability ${d(item, 'capability')}`;
    case 'private-pid':
      return 'own process namespace';
    case 'host-pid':
      return "sees the host's processes (host PID namespace)";
    case 'user-namespace':
      return 'user namespace: root inside is nobody outside';
    case 'no-user-namespace':
      return "no user namespace: the host's root is one of its ids";
    case 'read-only-root':
      return 'read-only root filesystem';
    case 'writable-root':
      return 'writable root filesystem';
    case 'seccomp-filter':
      return 'seccomp filter on system calls';
    case 'no-seccomp':
      return 'no seccomp filter';
    case 'no-new-privileges':
      return 'no new privileges (setuid programs gain nothing)';
    case 'new-privileges':
      return 'may gain privileges through setuid programs';
    case 'no-network':
      return `no network (${d(item, 'network')}): only a unix socket, if any`;
    case 'outbound-network':
      return 'outbound network (approved by the admin at install)';
    case 'no-devices':
      return 'no devices';
    case 'gpu-devices':
      return `GPU devices: ${d(item, 'devices')}`;
    case 'own-mount':
      return `writable folder of its own: ${mountText(item)}`;
    case 'package-mount':
      return `package files, read-only: ${mountText(item)}`;
    case 'uses-mount':
      return `${usesWhat(item)} ${d(item, 'module')}, read-only, as its uses declares: ${mountText(item)}`;
    case 'foreign-mount':
      return `a mount the manifest did not declare: ${mountText(item)}`;
    case 'engine-api':
      return `can reach the container engine's API (${mountText(item)}): rated 1`;
    case 'full-hardware-access':
      return item.data?.privileged
        ? 'privileged container: the whole hardware, rated 1'
        : `the whole hardware or kernel (${mountText(item)}): rated 1`;
    case 'capped':
      return `the scale ends at ${d(item, 'max')}`;
    case 'floored':
      return `the scale starts at ${d(item, 'min')}`;
  }
}

/** The wiring mounts two things of a used module: its socket folder and the token copy (wiring.ts). */
const usesWhat = (item: RatingItem) =>
  String(item.data?.target ?? '').startsWith('/run/blueprint/tokens/') ? 'its token for' : 'socket folder of';

function mountText(item: RatingItem): string {
  const src = item.data?.source ? `${d(item, 'source')} -> ` : '';
  return `${src}${d(item, 'target')} (${d(item, 'mode')})`;
}

/** `7/8` */
export const ratingShort = (r: Rating) => `${r.score}/${r.max}`;

/** The score, then every point with its reason. */
export function ratingLines(r: Rating, indent = '  '): string[] {
  const basis = r.basis === 'container' ? 'from the running container' : 'from the manifest';
  return [
    `Security rating: ${r.score} of ${r.max} (${basis}; rules: docs/security-rating.md)`,
    ...r.items.map((i) => {
      const pts = i.points === 0 ? '0' : i.points > 0 ? `+${i.points}` : String(i.points);
      return `${indent}${pts.padStart(3)}  ${reasonText(i)}`;
    }),
  ];
}
