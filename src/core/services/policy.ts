import path from 'node:path';
import { VerificationError } from '../errors.js';
import type { GpuAccessPlan } from '../gpu/types.js';
import { liteCrypto } from '../pkg/crypto-lite.js';
import { resolveInside } from '../system/beneath.js';
import { layout } from '../system/paths.js';
import type { AppArmorPlan } from './apparmor.js';
import { containerName } from './container-info.js';
import { containerGid, DEVICE_GID_LABEL } from './device-access.js';
import { type PlannedPackageMount, packagesEnv } from './package-mounts.js';
import { DEFAULT_BACKOFF } from './restarts.js';
import type { ServiceSpec } from './schema.js';
import type { UsedModule } from './wiring.js';

/** A provider's file of its consumers' tokens, in its data folder (client-tokens.ts). */
export const CLIENT_TOKENS_FILE = 'client-tokens';
/** …and the variable that tells the provider where it is (modules/kit/server/clients.ts reads it). */
export const CLIENT_TOKENS_ENV = 'BLUEPRINT_CLIENT_TOKENS_FILE';
/** A provider's purge records (consumer-purge.ts) are in its data folder, which this names. */
export const PURGE_DIR_ENV = 'BLUEPRINT_PURGE_DIR';
/**
 * A module's own name on the box (docs/module-wiring.md): one installed under another name than
 * the one it was written for (a second rag, `rag-fr`) can tell which it is. Set after the
 * manifest's env, which cannot change it.
 */
export const MODULE_ENV = 'BLUEPRINT_MODULE';

export const MODULE_LABEL = 'org.blueprintos.module';
export const VERSION_LABEL = 'org.blueprintos.version';
export const SPEC_LABEL = 'org.blueprintos.spec';
/** The box the container was made for: its root folder's identity (sandbox-plan.ts boxIdentity). */
export const BOX_LABEL = 'org.blueprintos.box';
/** The used modules' host socket folders (JSON) and the container gid their ACL entries are for. */
export const USES_DIRS_LABEL = 'org.blueprintos.uses-dirs';
export const USES_GID_LABEL = 'org.blueprintos.uses-gid';

/** Flags only an admin sets, at install (`--yes` to the question) — never the manifest. */
export interface AdminApprovals {
  outboundNetwork: boolean;
  /** The manifest's `outbound` hosts as the admin approved them at install (issue 19). */
  outbound?: string[];
}

export interface PolicyInput {
  root: string;
  name: string;
  version: string;
  /** The package prefix (read-only mounts come from here). */
  prefix: string;
  service: ServiceSpec;
  approvals: AdminApprovals;
  gpu: GpuAccessPlan;
  /** Host path of the seccomp profile the engine loads. */
  seccompProfile: string;
  /** The service's own AppArmor profile, or why there is none (apparmor.ts); default: none. */
  apparmor?: AppArmorPlan;
  /** The modules its manifest's `uses` names, checked against what is installed (wiring.ts). */
  uses?: UsedModule[];
  /** The installed packages its `packageMounts` mount, already judged on disk (package-mounts.ts). */
  packages?: PlannedPackageMount[];
  /**
   * The box's identity (sandbox-plan.ts boxIdentity), a label counted in the spec label: a container
   * made for a box deleted since, at the same path, is then not taken for this box's.
   */
  box?: string;
}

export const NO_GPU: GpuAccessPlan = {
  use: false,
  cdiDevices: [],
  devices: [],
  reason: 'not requested',
};

/** Host paths blueprint owns for one service. */
export function serviceDirs(root: string, name: string) {
  const l = layout(root);
  return {
    socketDir: path.join(l.runDir, 'services', name),
    dataDir: path.join(l.modulesData, name),
    logFile: path.join(l.root, 'var/log/blueprint/services', `${name}.log`),
  };
}

export { containerName };

const CPU_PERIOD = 100_000;
const TMP_SIZE = '64m';
const USERNS_SIZE = 65536;
const LOG_SIZE = 10 * 1024 * 1024;

/** The libpod create body (SpecGenerator) plus the host directories to create first. */
export interface ContainerPlan {
  spec: Record<string, unknown>;
  hostDirs: string[];
  /** Host device nodes whose access the container's group gets by ACL (device-access.ts). */
  deviceNodes: string[];
  /** The modules it uses: their socket folders get an ACL entry for its group (wiring.ts). */
  uses: UsedModule[];
  /** What its package mounts mount (start refuses an empty or refused one: checkPackageMounts). */
  packages: PlannedPackageMount[];
  /** What was asked for, in words the admin reads in `service inspect`. */
  summary: PolicySummary;
}

export interface PolicySummary {
  capabilities: 'all dropped';
  noNewPrivileges: true;
  seccomp: string;
  apparmor: AppArmorPlan;
  rootFilesystem: 'read-only';
  tmp: string;
  userNamespace: string;
  network: ServiceSpec['network'];
  /** With outbound network: the destinations its sandbox lets it reach (declared and approved). */
  outbound: string[];
  memoryBytes: number;
  cpus: number;
  pids: number;
  ulimits: { nofile: number; nproc: number };
  mounts: { source: string; target: string; mode: 'ro' | 'rw' }[];
  gpu: string;
  /** The modules it uses and the socket it reaches each through (inside the container). */
  uses: {
    name: string;
    range: string;
    version: string;
    socket: string;
    token: boolean;
    /** The token is the consumer's own (the provider takes a token per consumer), not the admin's. */
    ownToken: boolean;
  }[];
  restart: string;
  stopTimeoutSeconds: number;
}

/**
 * The sandbox: from a validated service section, the admin's approvals and the GPU plan, the exact
 * container the engine creates. Its only I/O is resolving the package's mount sources on disk;
 * otherwise the same input gives the same spec (its hash is a label, so `service start` knows when
 * an installed upgrade needs a new container). Nothing in the manifest can turn off what is fixed here.
 */
export function sandboxPolicy(input: PolicyInput): ContainerPlan {
  const { service: s, name, gpu } = input;
  if (s.network === 'outbound' && !input.approvals.outboundNetwork)
    throw new VerificationError(
      `service.network: ${name} asks for outbound network, which the admin has not approved`,
      'network-not-approved',
      `Reinstall with --yes to approve outbound network for ${name}, or use a module that needs none.`,
    );
  // /run/blueprint/ inside a container is where the wiring mounts what a module uses: a module's
  // own folders there could stand in for another module's socket.
  const packageTargets = (s.packageMounts ?? []).map((m) => m.target);
  for (const t of [s.data, s.socket?.dir, ...s.mounts.map((m) => m.target), ...packageTargets])
    if (t === '/run/blueprint' || t?.startsWith('/run/blueprint/'))
      throw new VerificationError(
        `service: ${t} is under /run/blueprint, which is kept for the modules a service uses`,
        'bad-service',
        'Mount the module’s own folders elsewhere (e.g. /run/NAME) and rebuild the package.',
      );
  const dirs = serviceDirs(input.root, name);
  const mounts: PolicySummary['mounts'] = [];
  const ociMounts: Record<string, unknown>[] = [
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['rw', 'nosuid', 'nodev', 'noexec', `size=${TMP_SIZE}`],
    },
  ];
  const bind = (source: string, target: string, mode: 'ro' | 'rw', chown: boolean) => {
    mounts.push({ source, target, mode });
    // U: chown the host directory to the container's mapped uid so the sandboxed user can write.
    // A read-only mount is a plain `bind`: `rbind` + `ro` makes only the top read-only and brings
    // every host mount below it along writable (Podman 4.3 has no `rro`). A package folder has no
    // sub-mount a module needs; where one exists, runc refuses the start (EINVAL) in our user
    // namespace rather than uncover it, which is the safe answer.
    ociMounts.push({
      destination: target,
      type: 'bind',
      source,
      options: [mode === 'ro' ? 'bind' : 'rbind', mode, 'nosuid', 'nodev', ...(chown ? ['U'] : [])],
    });
  };
  const hostDirs: string[] = [];
  if (s.socket) {
    bind(dirs.socketDir, s.socket.dir, 'rw', true);
    hostDirs.push(dirs.socketDir);
  }
  if (s.data) {
    bind(dirs.dataDir, s.data, 'rw', true);
    hostDirs.push(dirs.dataDir);
  }
  for (const m of s.mounts) {
    // Judged where it really leads, every link on the way followed (a link chain to the host's /
    // reads as inside when only its text is judged), and mounted by that resolved path.
    const source = resolveInside(input.prefix, m.source);
    if (!source.inside)
      throw new VerificationError(
        `service.mounts: ${m.source} is outside the package once its links are followed`,
        'bad-service',
        'Do not start this module; report it to its publisher.',
      );
    bind(source.path, m.target, 'ro', false);
  }
  // Each package's own folder, read-only, at its real path (package-mounts.ts judged it).
  const packages = input.packages ?? [];
  for (const p of packages) for (const pkg of p.packages) bind(pkg.source, pkg.path, 'ro', false);
  // Exactly the socket folders the manifest declared, read-only (connect() needs write permission
  // on the socket, not a writable mount), and each one's token: the consumer's own when the
  // provider takes them (socket.clientTokens), else a copy of the admin's when the admin set one.
  const uses = input.uses ?? [];
  const usesEnv: Record<string, string> = {};
  for (const u of uses) {
    bind(u.socketDir, u.target, 'ro', false);
    const key = `BLUEPRINT_USES_${u.name.toUpperCase().replace(/-/g, '_')}`;
    usesEnv[`${key}_SOCKET`] = u.socket;
    if (u.tokenFile && u.tokenTarget) {
      bind(u.tokenFile, u.tokenTarget, 'ro', false);
      usesEnv[`${key}_TOKEN_FILE`] = u.tokenTarget;
    }
  }

  const memory = s.resources.memory;
  const nofile = 1024;
  const nproc = s.resources.pids;
  const env = {
    ...s.env,
    ...(s.socket ? { BLUEPRINT_SOCKET: path.posix.join(s.socket.dir, s.socket.file) } : {}),
    // Where its consumers' own tokens are (client-tokens.ts writes the file; the kit reads it).
    ...(s.socket?.clientTokens && s.data
      ? { [CLIENT_TOKENS_ENV]: path.posix.join(s.data, CLIENT_TOKENS_FILE) }
      : {}),
    // Where blueprint leaves a purged consumer's record (consumer-purge.ts; the kit's purge.ts).
    ...(s.socket?.consumerPurge && s.data ? { [PURGE_DIR_ENV]: s.data } : {}),
    ...usesEnv,
    ...packagesEnv(packages),
    [MODULE_ENV]: name,
  };
  const spec: Record<string, unknown> = {
    name: containerName(name),
    hostname: name,
    image: input.service.image.id,
    ...(s.command ? { command: s.command } : {}),
    env,
    ...(s.user ? { user: s.user } : {}),
    labels: { [MODULE_LABEL]: name, [VERSION_LABEL]: input.version },
    privileged: false,
    cap_drop: ['all'],
    no_new_privileges: true,
    seccomp_policy: 'default',
    seccomp_profile_path: input.seccompProfile,
    ...(input.apparmor?.mode === 'own-profile' ? { apparmor_profile: input.apparmor.profile } : {}),
    read_only_filesystem: true,
    mounts: ociMounts,
    // An image's VOLUMEs would each get a writable, executable volume on the host's container
    // storage, kept and unbounded, that no manifest field asked for: the mounts are the ones above.
    image_volume_mode: 'ignore',
    // The manifest's health check is blueprint's to run (health.ts). An image's HEALTHCHECK would
    // have the engine start `podman healthcheck run` as root on the host at the image's interval.
    healthconfig: { Test: ['NONE'] },
    // Both: the API does not derive the mapping from `userns` as the CLI does.
    userns: { nsmode: 'auto', value: `size=${USERNS_SIZE}` },
    idmappings: { AutoUserNs: true, AutoUserNsOpts: { Size: USERNS_SIZE } },
    netns: { nsmode: s.network === 'outbound' ? 'bridge' : 'none' },
    pidns: { nsmode: 'private' },
    ipcns: { nsmode: 'private' },
    utsns: { nsmode: 'private' },
    cgroupns: { nsmode: 'private' },
    resource_limits: {
      memory: { limit: memory, swap: memory },
      cpu: { quota: Math.round(s.resources.cpus * CPU_PERIOD), period: CPU_PERIOD },
      pids: { limit: s.resources.pids },
    },
    r_limits: [
      { type: 'nofile', soft: nofile, hard: nofile },
      { type: 'nproc', soft: nproc, hard: nproc },
    ],
    // Podman restarts at once, with no delay between tries: `blueprint service watch` restarts
    // with backoff instead (restarts.ts), so the engine's own policy stays off.
    restart_policy: 'no',
    stop_signal: 15,
    stop_timeout: s.stopTimeout,
    log_configuration: { driver: 'k8s-file', path: dirs.logFile, size: LOG_SIZE },
    ...(gpu.use
      ? {
          devices: [...gpu.cdiDevices, ...gpu.devices].map((p) => ({ path: p })),
        }
      : {}),
  };
  // Set whether used or not: the engine gives a container its image's labels where the spec sets
  // none, and these are read back when the container goes (setfacl -x on the folders they name).
  const labels = spec.labels as Record<string, string>;
  labels[DEVICE_GID_LABEL] = gpu.use && gpu.devices.length ? String(containerGid(s.user)) : '';
  labels[USES_DIRS_LABEL] = uses.length ? JSON.stringify(uses.map((u) => u.socketDir)) : '';
  labels[USES_GID_LABEL] = uses.length ? String(containerGid(s.user)) : '';
  labels[BOX_LABEL] = input.box ?? '';
  (spec.labels as Record<string, string>)[SPEC_LABEL] = specHash(spec);
  return {
    spec,
    hostDirs,
    deviceNodes: gpu.use ? gpu.devices : [],
    uses,
    packages,
    summary: {
      capabilities: 'all dropped',
      noNewPrivileges: true,
      seccomp: input.seccompProfile,
      apparmor: input.apparmor ?? { mode: 'off', reason: 'kernel-has-no-apparmor' },
      rootFilesystem: 'read-only',
      tmp: `tmpfs ${TMP_SIZE} noexec`,
      userNamespace: 'auto, 65536 ids from the containers subordinate range',
      network: s.network,
      // What start-service.ts loads into its namespace: the declared hosts the admin approved.
      outbound:
        s.network === 'outbound'
          ? s.outbound.filter((h) => (input.approvals.outbound ?? []).includes(h))
          : [],
      memoryBytes: memory,
      cpus: s.resources.cpus,
      pids: s.resources.pids,
      ulimits: { nofile, nproc },
      mounts,
      gpu: gpu.use
        ? `${[...gpu.cdiDevices, ...gpu.devices].join(', ')} (${gpu.reason})`
        : `none (${gpu.reason})`,
      uses: uses.map((u) => ({
        name: u.name,
        range: u.range,
        version: u.version,
        socket: u.socket,
        token: u.tokenFile !== undefined,
        ownToken: u.issued !== undefined,
      })),
      restart: restartSummary(s.restart),
      stopTimeoutSeconds: s.stopTimeout,
    },
  };
}

/** The restart policy in words, from the backoff `blueprint service watch` applies. */
function restartSummary(policy: ServiceSpec['restart']): string {
  if (policy === 'no') return 'no';
  const b = DEFAULT_BACKOFF;
  const limit = policy === 'on-failure' ? `on-failure, at most ${b.onFailureTries} in a row` : 'always';
  return `${limit}, after ${b.baseMs / 1000} s doubling to ${b.maxMs / 60_000} min (blueprint service watch)`;
}

/**
 * The spec's label: its JSON's SHA-256, 16 hex digits. From Node's crypto binding in the executable
 * (crypto-lite.ts, in its start part), without loading node:crypto (38 modules, ~3.5 ms of CPU on
 * the way to create). A SHA-256 written in JavaScript did this before: run once, interpreted, it
 * took 1-2 ms of CPU (up to 6 with a tier-up on the main thread) for the ~2 KB spec, against
 * ~0.1 ms for OpenSSL's (issue 20). Elsewhere (vitest, plain node) node:crypto answers.
 */
export function specHash(spec: Record<string, unknown>): string {
  return liteCrypto().createHash('sha256').update(JSON.stringify(spec), 'utf8').digest('hex').slice(0, 16);
}
