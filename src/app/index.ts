/**
 * The application layer: the one place the program is assembled. `openBox(root, options)` wires
 * the core modules (src/core/pkg, services, gpu, setup, system) for one root, with one container
 * engine connection and one way of confirming, and returns the operations every front end uses:
 * the CLI (src/cli), the console (src/tui) and the web dashboard (src/web). Front ends import only
 * this module and src/present (display strings and units); a lint rule (biome.json) enforces it.
 *
 * Nothing here prints or prompts: questions go to `options.confirm`, progress to `onProgress`,
 * notes to `info`/`warn`; failures are typed `BlueprintError`s with a hint (re-exported below).
 * Heavy libraries (openpgp, dockerode) load on the first operation that needs them: each group's
 * module loads on its first call, and imports the core files it uses one by one, lazily, rather
 * than a core folder's whole index.ts (`blueprint --help` and `blueprint gpu` stay fast).
 */
import type { ProgressEvent, WrittenEvent } from '../core/pkg/index.js';
import { type Layout, layout } from '../core/system/paths.js';
import { type BoxContext, makeContext, treeActable } from './context.js';
import type { ModelOps } from './models.js';
import type { PackageOps } from './packages.js';
import type { ShownChange } from './plan-reach.js';
import type { RagOps } from './rag.js';
import type { KeyOps, RepoOps } from './repos.js';
import type { ServiceOps } from './services.js';
import type { SetupOps } from './setup.js';
import type { EgressSummary, SystemSummary } from './status-facts.js';
import type { AuditOps, BoxStatus, GpuOps } from './system.js';
import type { SystemOps } from './update.js';

/** A question an operation asks before it changes the box; `confirm` answers it. */
export type Question =
  /** `packages.install` (and `upgrade`, kind 'upgrade'): the plan that will be carried out as shown. */
  | { kind: 'install' | 'upgrade'; changes: ShownChange[] }
  /** `packages.remove`: the packages named. */
  | { kind: 'remove'; names: string[] }
  /** `keys.trust` without a fingerprint pin: the key to trust, to show the admin. */
  | { kind: 'trust-key'; key: import('../core/pkg/index.js').TrustedKey };

export interface BoxOptions {
  /**
   * Asked before a change the admin should see (install plan, removal, upgrade, trusting a key).
   * Resolve true to go on; false makes the operation throw `DeclinedError` (nothing changed); it
   * may throw itself (e.g. the CLI refuses when nobody can answer). Absent: every question is
   * answered yes, except trusting a key, which then needs a fingerprint pin. Not called when `yes`.
   */
  confirm?: (q: Question) => Promise<boolean>;
  /**
   * The admin's `--yes`: every question is answered yes, and what a module asks for at install
   * (outbound network) is approved. Default false: such a module is refused with a hint.
   */
  yes?: boolean;
  /** Package progress: download bytes, verify, unpack, prepare, switch, remove (per package). */
  onProgress?: (e: ProgressEvent) => void;
  /** Notes for the admin (what an operation is doing); may carry untrusted text: escape it to show. */
  info?: (line: string) => void;
  /** Warnings (an expired index, a held-back upgrade); untrusted text too. */
  warn?: (line: string) => void;
  /** Aborts long operations between steps (Ctrl-C, a closed browser request). */
  signal?: AbortSignal;
  /** Where the engine socket is chosen from (CONTAINER_HOST, DOCKER_HOST); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Per-call overrides of the box's callbacks: a server that shares one box between requests
 * routes each request's progress and cancellation here.
 */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** The package manager's copies and unpackings, their bytes as they land (a model import's room). */
  onWritten?: (e: WrittenEvent) => void;
  info?: (line: string) => void;
  warn?: (line: string) => void;
}

/** Everything a front end can do with a box; see each group's interface for its operations. */
export interface Box {
  /** The root directory operated on (`--root`, default `/`). */
  readonly root: string;
  /** Where state lives under the root (src/core/system/paths.ts). */
  readonly paths: Layout;
  /** bpkg: list, search, info, plan, install, remove, upgrade, rollback, verify, update, recover. */
  readonly packages: PackageOps;
  /** Trusted publisher keys: list, inspect, trust, remove. */
  readonly keys: KeyOps;
  /** Configured repositories: list (with their verified index), add, setKeys, remove. */
  readonly repos: RepoOps;
  /** Sandboxed services: list, status, start, stop, restart, logs, followLogs, inspect, watch. */
  readonly services: ServiceOps;
  /** Models on this box: import a GGUF as a `model-NAME` package signed by the box's own key. */
  readonly models: ModelOps;
  /** The installed `rag` module's API (documents in, answers with sources out) through its socket. */
  readonly rag: RagOps;
  /** GPUs and whether services can use them. */
  readonly gpu: GpuOps;
  /** First-boot setup and `apply`: load answers or a spec, plan, apply; the wizard's operations. */
  readonly setup: SetupOps;
  /** Listening sockets, network exposure, the SBOM, the engine doctor. */
  readonly audit: AuditOps;
  /** The OS itself: A/B slots, signed RAUC bundles, rollback (issue 21). */
  readonly system: SystemOps;
  /**
   * The box at a glance (`blueprint status`, the TUI dashboard, the web overview): host facts,
   * setup done, installed packages, upgradable ones, services (or why they cannot be read),
   * network exposure. Never throws for a part it cannot read.
   */
  status(): Promise<BoxStatus>;
  /**
   * Of `status`, the OS (version, A/B slots) and egress alone, for the console's Dashboard: RAUC
   * asked with a deadline; `maxAgeMs`: this box's last answer when younger. Never throws for them.
   */
  systemAndEgress(opts?: { maxAgeMs?: number }): Promise<{ system: SystemSummary; egress: EgressSummary }>;
}

/** Opens a box: cheap (nothing is read or connected until an operation runs). */
export function openBox(root: string, options: BoxOptions = {}): Box {
  const ctx: BoxContext = makeContext(root, options);
  const facts = lazyOps(() => import('./status-facts.js').then((m) => m.statusFactsOps(ctx)));
  // The `--root` contract (context.ts's treeActable), judged at each call for every front end; what
  // reads any tree as the CLI's `status`, `system status` and `gpu` do is not judged.
  const actable = () => treeActable(root);
  return {
    root,
    paths: layout(root),
    packages: lazyOps(() => import('./packages.js').then((m) => m.packageOps(ctx)), actable),
    keys: lazyOps(() => import('./repos.js').then((m) => m.keyOps(ctx)), actable),
    repos: lazyOps(() => import('./repos.js').then((m) => m.repoOps(ctx)), actable),
    services: lazyOps(() => import('./services.js').then((m) => m.serviceOps(ctx)), actable),
    models: lazyOps(() => import('./models.js').then((m) => m.modelOps(ctx)), actable),
    rag: lazyOps(() => import('./rag.js').then((m) => m.ragOps(ctx)), actable),
    gpu: lazyOps(() => import('./system.js').then((m) => m.gpuOps(ctx))),
    setup: lazyOps(() => import('./setup.js').then((m) => m.setupOps(ctx)), actable),
    // host and addresses read what `status` reads, sbom the executable's own: not judged.
    audit: lazyOps(
      () => import('./system.js').then((m) => m.auditOps(ctx)),
      (op) => (op === 'host' || op === 'addresses' || op === 'sbom' ? undefined : actable()),
    ),
    system: lazyOps(
      () => import('./update.js').then((m) => m.systemOps(ctx)),
      (op) => (op === 'status' || op === 'report' ? undefined : actable()),
    ),
    status: async () => (await import('./system.js')).boxStatus(ctx),
    systemAndEgress: (opts) => facts.read(opts),
  };
}

/**
 * A group of async operations whose module loads on first call: `blueprint --help` never pays
 * for openpgp or dockerode, and a front end holds one `Box` from the start.
 */
function lazyOps<T extends object>(load: () => Promise<T>, judge?: (op: string) => unknown): T {
  let loaded: Promise<T> | undefined;
  return new Proxy({} as T, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return async (...args: unknown[]) => {
        await judge?.(prop);
        loaded ??= load();
        const ops = await loaded;
        const fn = (ops as Record<string, unknown>)[prop];
        if (typeof fn !== 'function') throw new TypeError(`no operation ${prop}`);
        return (fn as (...a: unknown[]) => unknown).apply(ops, args);
      };
    },
  });
}

export type {
  InstalledPackage,
  PlannedChange,
  ProgressEvent,
  SearchHit,
  TrustedKey,
} from '../core/pkg/index.js';
export type { EncryptionChoice, EncryptionOutcome, EncryptionState, EncryptionTarget } from './encryption.js';
export type {
  ImportProgress,
  InstalledModel,
  ModelImportOptions,
  ModelImportResult,
  ModelOps,
} from './models.js';
export type { OutboundApprovals } from './outbound-approval.js';
export type {
  KeptPackage,
  OfferedPackage,
  PackageInfo,
  PackageOps,
  PackageRow,
  RemovedPackage,
} from './packages.js';
export type { ShownChange } from './plan-reach.js';
export type { IngestReport, IngestResult, RagAnswer, RagDocument, RagOps, RagSource } from './rag.js';
export type { NewRepo, NewRepoChecked, RepoAdded } from './repo-add.js';
export type { AddedRepo, KeyOps, ListedKey, RepoOps, RepoRow } from './repos.js';
export type { DamagedService, LogLine, ServiceOps, ServiceRegistration, SettingsChange } from './services.js';
export type { Catalog, CatalogEntry, SetupOps } from './setup.js';
export type { EgressSummary, SystemSummary } from './status-facts.js';
export type { AuditOps, BoxStatus, GpuOps, OutboundAudit, OutboundFlow } from './system.js';
export type { TokenRotation, TokenState } from './token-rotation.js';
export * from './types.js';
export type {
  BundleInfo,
  InstallResult,
  SlotStatus,
  SystemOps,
  SystemReport,
  SystemStatus,
} from './update.js';
