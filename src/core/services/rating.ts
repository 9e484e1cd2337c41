import type { AppArmorOffReason } from './apparmor.js';
import type { ServiceSpec } from './schema.js';

// What a running container has, read from the engine and the kernel (split out to keep this file short).
export { capabilityNames, containerFacts, type InspectFacts, type KernelFacts } from './container-facts.js';

/**
 * A service's security rating, 1 (worst) to 8, modelled on Home Assistant's add-on rating: start at
 * 5; AppArmor off -1, own profile +1; no host network and no published ports +2; signed +1; each
 * risky capability -1; host network -1; host PID -2; the engine's API or the whole hardware
 * reachable: 1. Ours adds the sandbox's own facts (user namespace, read-only root, seccomp,
 * no-new-privileges, outbound network, GPU devices, mounts) and lists every point with its reason
 * (a code and data; the words are the CLI's and the TUI's). The items always add up to the score.
 * Rules in docs/security-rating.md. Pure: no I/O.
 */

export const RATING_MIN = 1;
export const RATING_MAX = 8;
const BASE = 5;

export type AppArmorFact =
  | { mode: 'own-profile'; profile: string; assumed?: true }
  | { mode: 'engine-default'; profile?: string; reason?: 'parser-missing' }
  | { mode: 'off'; reason: AppArmorOffReason | 'unconfined' | 'complain-mode' };

export interface MountFact {
  /** Host path; unknown when rating a module's source folder. */
  source?: string;
  target: string;
  mode: 'ro' | 'rw';
  /** A package mount: one folder per installed package is mounted below `target` (package-mounts.ts). */
  below?: boolean;
  /** Declared by the manifest's `uses`: the module whose socket folder or token this is (wiring.ts). */
  uses?: string;
}

/** What can be observed of a running container (engine inspect + the kernel's view of pid 1). */
export interface ContainerFacts {
  apparmor: AppArmorFact;
  network: 'none' | 'loopback-socket' | 'outbound' | 'host';
  publishedPorts: number;
  hostPid: boolean;
  /** Capabilities the process has or may gain (in any of its sets: effective, permitted, inheritable, ambient, bounding), CAP_* names. */
  capabilities: string[];
  privileged: boolean;
  userNamespace: boolean;
  readOnlyRoot: boolean;
  seccomp: boolean;
  noNewPrivileges: boolean;
  /**
   * Device nodes (or CDI names). Not running: the GPU plan's, as a start would pass them in; the
   * manifest's request (`gpu:optional`) only where no plan applies (module lint, a `required` GPU
   * a start would refuse).
   */
  devices: string[];
  mounts: MountFact[];
  /** The engine socket this box talks to (config.json's `engine.socket`, CONTAINER_HOST…), besides the known places. */
  engineSockets?: string[];
}

/** What the manifest and the package say: the container facts blueprint's sandbox would give, and the signer. */
export interface SandboxFacts extends ContainerFacts {
  /** Fingerprint of the key that signed the installed package; `at-build` for a module's source; null: none. */
  signer: string | null;
}

export type RatingCode =
  | 'base'
  | 'apparmor-own-profile'
  | 'apparmor-engine-default'
  | 'apparmor-off'
  | 'no-host-network-no-ports'
  | 'host-network'
  | 'published-ports'
  | 'signed'
  | 'unsigned'
  | 'no-capabilities'
  | 'risky-capability'
  | 'capability'
  | 'private-pid'
  | 'host-pid'
  | 'user-namespace'
  | 'no-user-namespace'
  | 'read-only-root'
  | 'writable-root'
  | 'seccomp-filter'
  | 'no-seccomp'
  | 'no-new-privileges'
  | 'new-privileges'
  | 'no-network'
  | 'outbound-network'
  | 'no-devices'
  | 'gpu-devices'
  | 'own-mount'
  | 'package-mount'
  | 'uses-mount'
  | 'foreign-mount'
  | 'engine-api'
  | 'full-hardware-access'
  | 'capped'
  | 'floored';

export interface RatingItem {
  code: RatingCode;
  points: number;
  /** Where the fact came from: the manifest (and this box's kernel), the running container, the package database. */
  source: 'manifest' | 'container' | 'package' | 'rule';
  data?: Record<string, string | number | boolean>;
}

export interface Rating {
  score: number;
  max: typeof RATING_MAX;
  /** `container` when a running container's facts were read; `manifest` otherwise. */
  basis: 'manifest' | 'container';
  items: RatingItem[];
}

/** Capabilities that open the kernel or other processes up (Home Assistant's list, and kin). */
export const RISKY_CAPABILITIES = new Set([
  'CAP_SYS_ADMIN',
  'CAP_NET_ADMIN',
  'CAP_SYS_MODULE',
  'CAP_SYS_PTRACE',
  'CAP_SYS_RAWIO',
  'CAP_DAC_READ_SEARCH',
  'CAP_BPF',
  'CAP_PERFMON',
  'CAP_SYS_BOOT',
  'CAP_SYS_TIME',
  'CAP_MAC_ADMIN',
  'CAP_MAC_OVERRIDE',
]);

/** Host paths whose mount means the engine's API (a container that can start containers). */
const ENGINE_SOCKET = /(^|\/)(docker|podman)\.sock$|^\/(var\/)?run\/(podman|docker|containerd)(\/|$)/;
/**
 * Where the engines' sockets are (Podman's, blueprint's default engine, Docker's, containerd's,
 * rootless Podman's under /run/user): a folder above one of them (/run, /var/run) mounted hands
 * over the socket too, read-only or not (connect() needs no writable mount).
 */
const ENGINE_HOMES = [
  '/run/podman',
  '/run/docker.sock',
  '/run/docker',
  '/run/containerd',
  '/run/user',
].flatMap((p) => [p, `/var${p}`]);
const reachesEngine = (source: string, sockets: string[] = []) => {
  const s = source.replace(/(.)\/+$/, '$1');
  return (
    ENGINE_SOCKET.test(s) ||
    [...ENGINE_HOMES, ...sockets].some((home) => home === s || home.startsWith(`${s}/`))
  );
};
/** Host paths whose mount hands over the machine: devices, kernel interfaces, or everything. */
const WHOLE_HARDWARE = new Set(['/', '/dev', '/sys', '/proc', '/dev/mem', '/dev/kmem', '/dev/port', '/boot']);

export function rateService(manifest: SandboxFacts, container?: ContainerFacts): Rating {
  const f: ContainerFacts = container ?? manifest;
  const src = container ? 'container' : 'manifest';
  const items: RatingItem[] = [{ code: 'base', points: BASE, source: 'rule' }];
  const add = (
    code: RatingCode,
    points: number,
    data?: RatingItem['data'],
    source: RatingItem['source'] = src,
  ) => items.push({ code, points, source, ...(data ? { data } : {}) });

  // A container shows no interfaces but lo for both `none` and `loopback-socket`: the manifest says which.
  const network =
    f.network === 'none' && manifest.network === 'loopback-socket' ? manifest.network : f.network;
  const aa = f.apparmor;
  if (aa.mode === 'own-profile')
    add('apparmor-own-profile', 1, { profile: aa.profile, ...(aa.assumed ? { assumed: true } : {}) });
  else if (aa.mode === 'engine-default')
    add('apparmor-engine-default', 0, {
      ...(aa.profile ? { profile: aa.profile } : {}),
      ...(aa.reason ? { reason: aa.reason } : {}),
    });
  else add('apparmor-off', -1, { reason: aa.reason });

  if (f.network === 'host') add('host-network', -1);
  if (f.publishedPorts > 0) add('published-ports', 0, { count: f.publishedPorts });
  if (f.network !== 'host' && f.publishedPorts === 0) add('no-host-network-no-ports', 2);

  if (manifest.signer) add('signed', 1, { signer: manifest.signer }, 'package');
  else add('unsigned', 0, undefined, 'package');

  const risky = f.capabilities.filter((c) => RISKY_CAPABILITIES.has(c));
  const other = f.capabilities.filter((c) => !RISKY_CAPABILITIES.has(c));
  if (!f.capabilities.length) add('no-capabilities', 0);
  for (const c of risky) add('risky-capability', -1, { capability: c });
  for (const c of other) add('capability', 0, { capability: c });

  if (f.hostPid) add('host-pid', -2);
  else add('private-pid', 0);
  if (f.userNamespace) add('user-namespace', 0);
  else add('no-user-namespace', -1);
  if (f.readOnlyRoot) add('read-only-root', 0);
  else add('writable-root', -1);
  if (f.seccomp) add('seccomp-filter', 0);
  else add('no-seccomp', -1);
  if (f.noNewPrivileges) add('no-new-privileges', 0);
  else add('new-privileges', -1);
  if (f.network === 'outbound') add('outbound-network', -1);
  else if (f.network !== 'host') add('no-network', 0, { network });
  if (f.devices.length) add('gpu-devices', -1, { devices: f.devices.join(', ') });
  else add('no-devices', 0);

  let override: RatingItem | undefined;
  if (f.privileged)
    override = { code: 'full-hardware-access', points: 0, source: src, data: { privileged: true } };
  for (const m of f.mounts) {
    const data = { ...(m.source ? { source: m.source } : {}), target: m.target, mode: m.mode };
    if (m.source && reachesEngine(m.source, f.engineSockets))
      override ??= { code: 'engine-api', points: 0, source: src, data };
    else if (m.source && WHOLE_HARDWARE.has(m.source.replace(/(.)\/+$/, '$1')))
      override ??= { code: 'full-hardware-access', points: 0, source: src, data };
    else {
      const d = declaration(manifest.mounts, m);
      if (!d) add('foreign-mount', -1, data);
      else if (d.uses) add('uses-mount', 0, { ...data, module: d.uses });
      else add(m.mode === 'rw' ? 'own-mount' : 'package-mount', 0, data);
    }
  }

  let score = items.reduce((n, i) => n + i.points, 0);
  if (override) {
    // Home Assistant's rule: nothing else counts once a container can reach the engine or the hardware.
    items.push({ ...override, points: RATING_MIN - score });
    score = RATING_MIN;
  } else if (score > RATING_MAX) {
    items.push({ code: 'capped', points: RATING_MAX - score, source: 'rule', data: { max: RATING_MAX } });
    score = RATING_MAX;
  } else if (score < RATING_MIN) {
    items.push({ code: 'floored', points: RATING_MIN - score, source: 'rule', data: { min: RATING_MIN } });
    score = RATING_MIN;
  }
  return { score, max: RATING_MAX, basis: container ? 'container' : 'manifest', items };
}

/** The manifest's mount `m` is: same target and mode, and the same host source where that is known. */
function declaration(mounts: MountFact[], m: MountFact): MountFact | undefined {
  return mounts.find((d) =>
    d.below
      ? (m.below ? m.target === d.target : m.target.startsWith(`${d.target}/`)) && d.mode === m.mode
      : d.target === m.target && d.mode === m.mode && (!d.source || !m.source || d.source === m.source),
  );
}

/** The facts blueprint's sandbox gives a service (sandboxPolicy fixes all but network, GPU and mounts). */
export function factsFromService(
  s: ServiceSpec,
  opts: {
    apparmor: AppArmorFact;
    signer: string | null;
    /** Host source of each mount, by target, where known (the plan's summary). */
    sources?: Record<string, string>;
    /** The GPU plan's devices (what a start passes in); else the manifest's request counts. */
    devices?: string[];
    /**
     * The read-only mounts the manifest's `uses` brings (each used module's socket folder, and the
     * token copy made for this consumer), with their host sources (wiring.ts).
     */
    uses?: { module: string; source?: string; target: string }[];
  },
): SandboxFacts {
  const mount = (target: string, mode: 'ro' | 'rw'): MountFact => ({
    ...(opts.sources?.[target] ? { source: opts.sources[target] } : {}),
    target,
    mode,
  });
  return {
    apparmor: opts.apparmor,
    network: s.network,
    publishedPorts: 0,
    hostPid: false,
    capabilities: [],
    privileged: false,
    userNamespace: true,
    readOnlyRoot: true,
    seccomp: true,
    noNewPrivileges: true,
    devices: opts.devices ?? (s.gpu === 'none' ? [] : [`gpu:${s.gpu}`]),
    mounts: [
      ...(s.socket ? [mount(s.socket.dir, 'rw')] : []),
      ...(s.data ? [mount(s.data, 'rw')] : []),
      ...s.mounts.map((m) => mount(m.target, 'ro')),
      ...(s.packageMounts ?? []).map((m) => ({ target: m.target, mode: 'ro' as const, below: true })),
      ...(opts.uses ?? []).map((u) => ({
        ...(u.source ? { source: u.source } : {}),
        target: u.target,
        mode: 'ro' as const,
        uses: u.module,
      })),
    ],
    signer: opts.signer,
  };
}
