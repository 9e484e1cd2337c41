import type { AppArmorSupport } from './apparmor.js';
import type { AppArmorFact, ContainerFacts } from './rating.js';

/**
 * The rating's facts about a running container (rating.ts rateService takes them): the engine's
 * inspect and the kernel's view of its pid 1 (inspect.ts processView), as docs/security-rating.md
 * says which come from where.
 */

const CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** CAP_* names of the bits set in a /proc/PID/status capability mask (hex). */
export function capabilityNames(hex: string): string[] {
  if (!/^[0-9a-f]+$/i.test(hex)) return [];
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.flatMap((c, bit) => ((mask >> BigInt(bit)) & 1n ? [`CAP_${c}`] : []));
}

/** The libpod inspect fields the rating reads. */
export interface InspectFacts {
  AppArmorProfile?: string;
  HostConfig?: {
    NetworkMode?: string;
    PidMode?: string;
    Privileged?: boolean;
    PortBindings?: Record<string, unknown[] | null> | null;
    Devices?: { PathInContainer: string }[] | null;
  };
  Mounts?: { Type?: string; Source: string; Destination: string; RW: boolean }[] | null;
}

/** The kernel's view of the container's pid 1 (inspect.ts `processView`) the rating reads. */
export interface KernelFacts {
  capEff: string;
  capBnd: string;
  /**
   * The permitted, inheritable and ambient sets (absent: not read). A capability left permitted
   * alone is raised into the effective set by one capset(2); ambient and inheritable ones reach
   * what the process runs.
   */
  capPrm?: string;
  capInh?: string;
  capAmb?: string;
  noNewPrivs: number;
  seccomp: number;
  /** The uid or gid map holds the host's id 0 (inspect.ts `mapsHostZero`). */
  mapsHostRoot: boolean;
  rootReadOnly: boolean;
  interfaces: string[];
  /** /proc/PID/attr/current; null when the kernel has no AppArmor. */
  apparmor: string | null;
  sharesHostPid: boolean;
  sharesHostNet: boolean;
}

/** What a running container has, from the engine's inspect and the kernel; the kernel wins where both say. */
export function containerFacts(
  info: InspectFacts,
  k: KernelFacts,
  support: AppArmorSupport,
  ownProfile: string,
): ContainerFacts {
  const h = info.HostConfig ?? {};
  const hostNet = h.NetworkMode === 'host' || k.sharesHostNet;
  const outbound =
    k.interfaces.some((i) => i !== 'lo') || /^(bridge|slirp4netns|pasta)/.test(h.NetworkMode ?? '');
  const ports = Object.values(h.PortBindings ?? {}).reduce((n, b) => n + (b?.length ?? 0), 0);
  return {
    apparmor: apparmorFact(k.apparmor, support, ownProfile),
    network: hostNet ? 'host' : outbound ? 'outbound' : 'none',
    publishedPorts: ports,
    hostPid: h.PidMode === 'host' || k.sharesHostPid,
    capabilities: [
      ...new Set(
        [k.capEff, k.capPrm, k.capInh, k.capAmb, k.capBnd].flatMap((set) =>
          set ? capabilityNames(set) : [],
        ),
      ),
    ],
    privileged: h.Privileged === true,
    userNamespace: !k.mapsHostRoot,
    readOnlyRoot: k.rootReadOnly,
    seccomp: k.seccomp === 2,
    noNewPrivileges: k.noNewPrivs === 1,
    devices: (h.Devices ?? []).map((d) => d.PathInContainer),
    mounts: (info.Mounts ?? [])
      .filter((m) => !m.Type || m.Type === 'bind' || m.Type === 'volume')
      .map((m) => ({ source: m.Source, target: m.Destination, mode: m.RW ? 'rw' : 'ro' })),
  };
}

/** The process's AppArmor label (`NAME (enforce)`, `unconfined`) as a rating fact. */
function apparmorFact(label: string | null, support: AppArmorSupport, own: string): AppArmorFact {
  if (label === null) return { mode: 'off', reason: support.enabled ? 'unconfined' : support.reason };
  const m = /^(.*) \((enforce|complain|kill|unconfined)\)$/.exec(label);
  if (!m || label === 'unconfined') return { mode: 'off', reason: 'unconfined' };
  if (m[2] !== 'enforce' && m[2] !== 'kill') return { mode: 'off', reason: 'complain-mode' };
  return m[1] === own ? { mode: 'own-profile', profile: own } : { mode: 'engine-default', profile: m[1]! };
}
