import { access } from 'node:fs/promises';
import path from 'node:path';
import type { GpuReport } from '../core/gpu/types.js';
import type { Check } from '../core/services/doctor.js';
import type { ServiceStatus } from '../core/services/status.js';
import type { OutboundAudit } from '../core/system/egress-audit.js';
import type { EncryptionState } from './encryption.js';
import type { DamagedService } from './services.js';
import type { EgressSummary, SystemSummary } from './status-facts.js';

export type { OutboundAudit, OutboundFlow } from '../core/system/egress-audit.js';

import {
  BlueprintError,
  type ExitCodeValue,
  InterruptedError,
  isPermissionDenied,
  NotFoundError,
} from '../core/errors.js';
import type { ExposureAudit, Listener } from '../core/system/exposure.js';
import type { HostFacts } from '../core/system/host.js';
import { VERSION } from '../core/version.js';
import type { BoxContext } from './context.js';

/** GPUs (`blueprint gpu`). */
export interface GpuOps {
  /**
   * The kernel's view under the root, then nvidia-smi/rocm-smi (only when the root is `/` and
   * `tools` is not false). `maxAgeMs`: reuse this box's last report when younger (dashboards
   * refresh every few seconds; the tools are not that cheap).
   */
  detect(opts?: {
    tools?: boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
    maxAgeMs?: number;
  }): Promise<GpuReport>;
}

export function gpuOps(ctx: BoxContext): GpuOps {
  let cached: { at: number; report: Promise<GpuReport> } | undefined;
  return {
    async detect(opts = {}) {
      if (opts.maxAgeMs !== undefined && cached && Date.now() - cached.at <= opts.maxAgeMs)
        return cached.report;
      const { detectGpus } = await import('../core/gpu/detect.js');
      const report = detectGpus(ctx.root, {
        ...(opts.tools === false ? { runner: null } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      cached = { at: Date.now(), report };
      report.catch(() => {
        if (cached?.report === report) cached = undefined;
      });
      return report;
    },
  };
}

/** Security audits of the box. */
export interface AuditOps {
  /**
   * Every listening socket under ROOT/proc/net; `flagged` when reachable from the network (SSH on
   * its enabled port is not). `sshPort`: default, the port of the SSH the root enables.
   */
  network(opts?: { sshPort?: number }): Promise<{ sshPort: number | undefined; listeners: Listener[] }>;
  /** What the box exposes: listeners beyond loopback, the firewall, the ports it lets in. */
  exposure(): Promise<ExposureAudit>;
  /** The CycloneDX SBOM built into the executable: its bytes and the parsed document. */
  sbom(): Promise<{ text: string; document: unknown }>;
  /**
   * What the box contacted and what its default-deny egress blocked (issue 19), from the firewall's
   * counters, merged into a bounded history under ROOT/var/lib/blueprint/audit.
   */
  outbound(): Promise<OutboundAudit>;
  /** Engine and sandbox prerequisites, each with the exact fix when it fails. */
  doctor(): Promise<Check[]>;
  /** Host facts: name, kernel, uptime, CPU and load, memory, the root's disk. */
  host(): Promise<HostFacts>;
  /** The running box's network addresses (none for a root other than /): where to reach it. */
  addresses(): Promise<string[]>;
}

export function auditOps(ctx: BoxContext): AuditOps {
  return {
    async network(opts = {}) {
      const { auditNetwork, sshPortOf } = await import('../core/system/network.js');
      // No table read is no listener found: an all-clear from an audit that saw nothing.
      const tables = path.join(ctx.root, 'proc/net');
      if (!process.getBuiltinModule('node:fs').existsSync(path.join(tables, 'tcp')))
        throw new NotFoundError(
          `${tables} has no socket tables to read`,
          "The audit reads the kernel's tables there: run it on the box itself (--root /), or on a root where /proc is mounted.",
        );
      const sshPort = opts.sshPort ?? (await sshPortOf(ctx.root));
      return { sshPort, listeners: await auditNetwork(ctx.root, sshPort === undefined ? {} : { sshPort }) };
    },
    exposure: async () => (await import('../core/system/exposure.js')).exposureAudit(ctx.root),
    addresses: async () => (await import('../core/system/addresses.js')).boxAddresses(ctx.root),
    sbom: async () => (await import('../core/system/sbom.js')).embeddedSbom(),
    async outbound() {
      const { auditOutbound } = await import('../core/system/egress-audit.js');
      const { currentDestinations } = await import('../core/setup/egress-disk.js');
      const { outboundModules } = await import('../core/services/outbound-audit.js');
      // With the engine down, the modules' flows are not read now; their history stays on disk.
      const modules = await outboundModules(ctx.root, ctx.engine()).catch((err: unknown) => {
        if (err instanceof InterruptedError) throw err; // stopped while the engine was asked
        return [];
      });
      return auditOutbound(ctx.root, { destinations: await currentDestinations(ctx.root), modules });
    },
    doctor: async () =>
      (await import('../core/services/doctor.js')).runDoctor(ctx.root, ctx.options.env, ctx.options.signal),
    host: async () => (await import('../core/system/host.js')).hostFacts(ctx.root),
  };
}

/** `blueprint status`: the box at a glance. A part that cannot be read says why instead of failing. */
export interface BoxStatus {
  version: string;
  root: string;
  /** First-boot setup has run (its marker exists). */
  setUp: boolean;
  host: HostFacts;
  packages: { name: string; version: string }[];
  /** Why `packages` could not be read ([] then): run without root on a box whose package files are root's. */
  packagesError?: string;
  /** Upgrades available from each package's own repository ([] when unknown: `updatesError`). */
  updates: Array<{ name: string; from: string; to: string; repo: string }>;
  /** Why `updates` could not be read: a repository's state refused, a link on the way, no root. */
  updatesError?: string;
  /**
   * Every service's status, or why they could not be read: the error's message, its code as an
   * error document has it (`engine-down`, `engine-denied`…: the container engine; `permission-denied`:
   * run without root) and its hint. `blueprint status` exits 6 for the engine's (cli/commands/status.ts).
   */
  services: ServiceStatus[] | ServicesUnread;
  /** Services whose registration cannot be read: what is wrong and the fix (the others are listed). */
  damagedServices: DamagedService[];
  exposure: ExposureAudit;
  /** The data partition: LUKS2 or not, how boot unlocks it, recovery key, TPM (issue 23). */
  encryption: EncryptionState;
  /** The OS: its version, the A/B slot running and the one that boots next, or why not known. */
  system: SystemSummary;
  /** Egress: default deny or not, and the destinations allowed out (docs/egress.md). */
  egress: EgressSummary;
}

/** Why the services could not be read (BoxStatus.services). */
export interface ServicesUnread {
  error: string;
  /** Always set by boxStatus. */
  code?: string;
  hint?: string;
}

/**
 * The exit code of the error that kept the services unread, off the JSON document: the engine's
 * (6) makes `blueprint status` exit 6, decided by the error itself (core EngineError) and not by a
 * list of its codes kept again elsewhere.
 */
const unreadExitCodes = new WeakMap<ServicesUnread, ExitCodeValue>();
export const servicesUnreadExitCode = (unread: ServicesUnread): ExitCodeValue | undefined =>
  unreadExitCodes.get(unread);

/** The folders below a tree whose files status reads by name: packages, services, keys, repositories. */
const STATE_FOLDERS = [
  'var/lib/blueprint/pkg/lists',
  'var/lib/blueprint/services',
  'etc/blueprint/keys',
  'etc/blueprint/repos.d',
  'opt/blueprint',
];

export async function boxStatus(ctx: BoxContext): Promise<BoxStatus> {
  // A root that is not there (a mistyped --root, an image not mounted): said as such, where the
  // host's disk figures failed on it as an internal error.
  if (
    !(await access(ctx.root).then(
      () => true,
      () => false,
    ))
  )
    throw new NotFoundError(
      `${ctx.root} does not exist`,
      'Check --root: it names the folder that holds the box (an image mounted there, say).',
    );
  const [{ packageOps }, { serviceOps }, { treeActable }] = await Promise.all([
    import('./packages.js'),
    import('./services.js'),
    import('./context.js'),
  ]);
  const audit = auditOps(ctx);
  // Status reads any tree: on one it may not act on (another user's), the package manager only
  // reads (dryRun): no interrupted transaction finished there (its journal named what root would
  // delete), no cache written (test/security/status-tree-journal).
  const actable = await treeActable(ctx.root).then(
    () => true,
    () => false,
  );
  const pkgs = packageOps(
    actable ? ctx : { ...ctx, manager: (call = {}) => ctx.manager({ ...call, dryRun: true }) },
  );
  // And its state folders reached without a link (each file in them is judged at its name only):
  // TREE/var/lib/blueprint a link out had that folder's packages and set-up shown as the tree's.
  const { atBeneath, linkOnTheWay } = await import('../core/system/beneath.js');
  const linked = actable ? undefined : await linkOnTheWay(ctx.root, STATE_FOLDERS);
  // And each state file below them through descriptors too (a folder further down swapped for a
  // link: test/security/status-tree-state-files).
  if (!actable)
    (await import('../core/system/state-file.js')).readStatesBeneath(path.resolve(ctx.root), atBeneath);
  const { encryptionState } = await import('./encryption.js');
  const { egressSummary, systemSummary } = await import('./status-facts.js');
  // Run without root (the box's umask leaves the package manager's files root's): the rest of the
  // box, and why the packages are not listed, as for the services below.
  const unreadable = (err: NodeJS.ErrnoException, what: string) => {
    // A link or FIFO at installed.json (a tree another user changed: status reads any tree): said.
    if (err instanceof BlueprintError && err.code === 'not-a-state-file') return err.message;
    if (!isPermissionDenied(err)) throw err;
    return `permission denied: ${err.path ?? what}; run it as root`;
  };
  const [host, packageList, [exposure, egress], updates, services, setUp, encryption, system] =
    await Promise.all([
      audit.host(),
      linked
        ? { error: linked }
        : pkgs
            .list()
            .catch((err: NodeJS.ErrnoException) => ({ error: unreadable(err, 'the package database') })),
      audit.exposure().then(async (e) => [e, await egressSummary(ctx, e.firewall)] as const),
      // Unread said as such (why), never as none: a repository state refused (a link below
      // pkg/lists) read as "no updates" (test/security/status-tree-listings).
      // Another user's tree asks the package manager itself (its reads go through the descriptors):
      // the quick answer (upgradable-fast.ts) reads the sealed tables by name, through a link.
      linked
        ? { error: linked }
        : (actable ? pkgs.upgradable() : ctx.manager({ dryRun: true }).then((m) => m.upgradable())).catch(
            (err: NodeJS.ErrnoException) => ({
              error: isPermissionDenied(err) ? unreadable(err, "the repositories' states") : err.message,
            }),
          ),
      linked
        ? ({ error: linked, code: 'not-a-state-file' } satisfies ServicesUnread)
        : serviceOps(ctx)
            .listAll()
            .catch((err: NodeJS.ErrnoException): ServicesUnread => {
              // Stopped (Ctrl-C, SIGTERM) while the engine was asked: the command ends so (130/143), not
              // as a report whose services say "Interrupted".
              if (err instanceof InterruptedError) throw err;
              // Run without root (the registrations' folder is root's): why, not the errno's words.
              if (isPermissionDenied(err))
                return {
                  error: `permission denied: ${err.path ?? 'the service registrations'}; run it as root`,
                  code: 'permission-denied',
                };
              if (!(err instanceof BlueprintError)) return { error: err.message, code: 'internal' };
              const unread = { error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) };
              unreadExitCodes.set(unread, err.exitCode);
              return unread;
            }),
      !linked &&
        access(ctx.paths.setupMarker).then(
          () => true,
          () => false,
        ),
      encryptionState(ctx),
      systemSummary(ctx),
    ]);
  return {
    version: VERSION,
    root: ctx.root,
    setUp,
    host,
    packages: 'error' in packageList ? [] : packageList.map((p) => ({ name: p.name, version: p.version })),
    ...('error' in packageList ? { packagesError: packageList.error } : {}),
    updates: 'error' in updates ? [] : updates,
    ...('error' in updates ? { updatesError: updates.error } : {}),
    services: 'error' in services ? services : services.services,
    damagedServices: 'error' in services ? [] : services.damaged,
    exposure,
    encryption,
    system,
    egress,
  };
}
