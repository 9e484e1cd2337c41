import {
  type AnswersInput,
  type ApplyResult,
  BlueprintError,
  type Box,
  type PackageRow as BoxPackageRow,
  type Catalog,
  type EncryptionChoice,
  type EncryptionOutcome,
  type EncryptionState,
  type EncryptionTarget,
  type ExposureAudit,
  type HostFacts,
  isPermissionDenied,
  type KeptPackage,
  type ModuleOps,
  type OutboundApprovals,
  type OutboundAudit,
  openBox,
  type Rating,
  type SettingsChange,
  type SetupChange,
  type SetupHold,
  type SetupPlan,
  type SystemStatus,
} from '../app/index.js';
import { showFingerprint } from '../present/fingerprint.js';
import { gpuRows } from '../present/gpu.js';
import { installedLine, keptLine, notStartedLine, planLines } from '../present/install.js';
import { packageProgress, removedLine, verifiedLine } from '../present/packages.js';
import { reasonOf } from '../present/reason.js';
import { startLines, stopLine } from '../present/service-actions.js';
import { formatInspection } from '../present/services.js';
import { settingsChangeText } from '../present/settings.js';
import { bytes } from '../present/units.js';
import { formatInstall, formatRollback } from '../present/update.js';
import { ENGINE_WAIT_MS, engineBound, engineRead, followHeard } from './engine-wait.js';
import { escapedSources } from './escaped-sources.js';
import { runningLimitsReader } from './running-limits.js';
import { serviceRows } from './service-rows.js';
import { consoleUpgrade } from './upgrade-plan.js';

/** What a screen gets: real data, or the reason there is none (never made-up rows). */
export type Maybe<T> = { available: true; value: T } | { available: false; reason: string };

export interface ServiceRow {
  name: string;
  state: string;
  sandboxed: boolean;
  detail: string;
  /** The installed modules that use this one (their manifests' `uses`). */
  usedBy?: string[];
  /** The security rating (score and reasons), from the running container when it runs. */
  rating?: Rating;
  /** Its registration cannot be read: what is wrong and the fix (state `damaged`). */
  damaged?: { message: string; hint?: string };
  /** Runs with another memory limit than its next start gives it: the CLI's line, with the restart. */
  runningLimits?: string;
}
/** What the console's Packages screen shows of the box's package rows. */
export type PackageRow = Pick<
  BoxPackageRow,
  'name' | 'version' | 'installed' | 'summary' | 'origin' | 'auto'
>;
export interface KeyRow {
  fingerprint: string;
  name: string;
  /**
   * The repositories the key may sign (trust is scoped to them). Empty: no repository yet; it still
   * signs package files (`bpkg install ./NAME.bpkg`) and, at a rollback, a version from a repository
   * removed since, as any trusted key may (KEYS5).
   */
  repositories: string[];
  /** Its revocation certificate was added: it signs nothing, whatever it is bound to. */
  revoked: boolean;
}
export interface GpuRow {
  name: string;
  vendor: string;
  detail: string;
}

/** The core calls the TUI makes. Screens take this as a prop so tests can hand in their own. */
/** A module's settings as `blueprint service config NAME` shows them. */
export type SettingsShown = Pick<SettingsChange, 'name' | 'version' | 'file' | 'settings' | 'stale'>;

export interface Sources {
  root: string;
  host(): Promise<HostFacts>;
  exposure(): Promise<ExposureAudit>;
  /** The running box's addresses, for the wizard's last screen (none for a root other than /). */
  addresses?: () => Promise<string[]>;
  gpus(): Promise<Maybe<GpuRow[]>>;
  services(): Promise<Maybe<ServiceRow[]>>;
  updates(): Promise<Maybe<number>>;
  packages(): Promise<Maybe<PackageRow[]>>;
  keys(): Promise<Maybe<KeyRow[]>>;
  setupDone(): Promise<boolean>;
  moduleOps(): Promise<ModuleOps>;
  /** What the box and its modules contacted, and what the firewall blocked (`blueprint audit outbound`). */
  outbound?: () => Promise<Maybe<OutboundAudit>>;
  /** The image's offline module catalog for the wizard's checklist (issue 18); undefined: none. */
  catalog?: () => Promise<Catalog | undefined>;
  /** The blank data partition the wizard may encrypt (issue 23); undefined: none, no step. */
  encryptionTarget?: () => Promise<EncryptionTarget | undefined>;
  /** Encrypts it as chosen after setup is applied; the recovery key comes back once. */
  encrypt?: (choice: EncryptionChoice) => Promise<EncryptionOutcome>;
  /** The data partition's encryption for the dashboard. */
  encryption?: () => Promise<EncryptionState>;
  /** The OS (version, A/B slots) and egress, as `blueprint status` says them, for the dashboard. */
  systemAndEgress?: () => ReturnType<Box['systemAndEgress']>;
  /** The wizard's answers checked (every field) and planned against the box: nothing written. */
  planSetup(answers: AnswersInput): Promise<SetupPlan>;
  /**
   * Takes the box for the plan's setup before the wizard encrypts (kept across the recovery key's
   * screen): another console's setup is refused meanwhile; refused itself when one holds it, or
   * when the box was set up meanwhile (ConflictError set-up-meanwhile; `firstSetup`: the wizard
   * began on a box not set up, and never applies once it is).
   */
  holdSetup?: (plan: SetupPlan, firstSetup: boolean) => Promise<SetupHold>;
  /** Makes the box match the plan; `onChange` hears each change as it is made; `hold` is used and released. */
  applySetup(
    plan: SetupPlan,
    onChange: (c: SetupChange) => void,
    signal: AbortSignal,
    hold?: SetupHold,
  ): Promise<ApplyResult>;
  /** Package actions, the calls `bpkg install|remove|upgrade` make. */
  packageAction?: (
    action: PackageAction,
    name: string,
    progress: (line: string) => void,
    signal: AbortSignal,
    /** Outbound hosts the admin approved per module (after the install named them); see Packages. */
    approvals?: OutboundApprovals,
  ) => Promise<void>;
  /**
   * Who signed what `install NAME` would install, and (`plan`) the plan `bpkg install` shows before
   * its question (planLines: a row per package, a downgrade named, then the modules each can be
   * wired to, with their access tokens), one screen line each: shown before asking to confirm.
   */
  signerOf?: (
    name: string,
  ) => Promise<{ version: string; fingerprint: string; signer: string; plan?: string[] }>;
  /**
   * `bpkg update`, then the plan `bpkg upgrade` would ask about, in its lines (and what it holds
   * back); `changes`: how many. The next packageAction('upgrade') carries out this plan only.
   */
  upgradePlan?: () => Promise<{ lines: string[]; changes: number }>;
  /** What it did, in the CLI's words (present/service-actions.ts): started, already running, not running. */
  serviceAction?: (action: 'start' | 'stop' | 'restart', name: string) => Promise<string[]>;
  /**
   * Follows a service's log until the signal aborts. `onWait`: why no line came yet (the engine
   * does not answer), then undefined once it does.
   */
  followLogs?: (
    name: string,
    onLine: (line: string) => void,
    signal: AbortSignal,
    onWait?: (reason: string | undefined) => void,
  ) => Promise<void>;
  inspect?: (name: string) => Promise<string[]>;
  /** `blueprint service config NAME`: each setting's value, default, what it allows, description. */
  settings?: (name: string) => Promise<SettingsShown>;
  /** `service config NAME KEY=VALUE` / `--unset KEY`: judged as the CLI judges; its answer's lines. */
  configure?: (name: string, change: { set?: Record<string, string>; unset?: string[] }) => Promise<string[]>;
  /** Both A/B system slots (issue 21); unavailable on a box without them. */
  system?: () => Promise<Maybe<SystemStatus>>;
  /** `blueprint system update FILE | --from REPO | rollback`; resolves with the outcome in lines. */
  systemAction?: (
    action: SystemAction,
    progress: (line: string) => void,
    signal: AbortSignal,
  ) => Promise<string[]>;
}

export type SystemAction =
  | { kind: 'file'; file: string }
  | { kind: 'repo'; repo: string }
  | { kind: 'rollback' };

export type PackageAction = 'install' | 'remove' | 'upgrade';

const failed = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  // Started without root (the SSH login hook runs it as the admin): root's folders are not readable.
  const reason =
    isPermissionDenied(err) && !(err instanceof BlueprintError)
      ? `permission denied: ${e.path ?? e.message}; the console needs root: sudo blueprint`
      : reasonOf(err);
  return { available: false, reason } as const;
};

/** What `bpkg` says, row by row: installed packages first, then what the repositories offer. */
async function packageRows(box: Box): Promise<PackageRow[]> {
  return (await box.packages.rows()).map((r) => ({
    name: r.name,
    version: r.version,
    installed: r.installed,
    summary: r.summary,
    ...(r.origin !== undefined ? { origin: r.origin } : {}),
    ...(r.auto ? { auto: true } : {}),
  }));
}

const GPU_CACHE_MS = 60_000;

/**
 * The screens' sources over a box (src/app): the same operations `blueprint` and the web
 * dashboard call. A root opens a box with no prompts of its own: the screens ask first.
 */
export function coreSources(at: string | Box, opts: { engineWaitMs?: number } = {}): Sources {
  const box = typeof at === 'string' ? openBox(at) : at;
  // How long a view waits for the engine before saying it does not answer. A test that drives a
  // real engine on a loaded machine gives it longer: there, a slow answer is not the silence it
  // checks for (services.test failed at load 9 with an inspect past 5 s).
  const wait = opts.engineWaitMs ?? ENGINE_WAIT_MS;
  // The signer each package's confirmation showed, to compare with the one the install verified.
  const shownSigner = new Map<string, string>();
  const upgrade = consoleUpgrade(box);
  const limits = runningLimitsReader((name) => box.services.status(name));
  return escapedSources({
    root: box.root,
    host: () => box.audit.host(),
    exposure: () => box.audit.exposure(),
    addresses: () => box.audit.addresses(),
    // The dashboard refreshes every 2 s; nvidia-smi is not that cheap and GPUs rarely change.
    gpus: () =>
      box.gpu
        .detect({ maxAgeMs: GPU_CACHE_MS })
        .then((report) => ({ available: true, value: gpuRows(report) }) as const, failed),
    services: engineRead(
      () =>
        serviceRows(box, limits).then((value): Maybe<ServiceRow[]> => ({ available: true, value }), failed),
      wait,
    ),
    async serviceAction(action, name) {
      limits.forget(name);
      if (action === 'start') return startLines(await box.services.start(name), 'started');
      if (action === 'stop') return [stopLine(name, await box.services.stop(name))];
      return startLines(await box.services.restart(name), 'restarted');
    },
    followLogs: (name, onLine, signal, onWait) =>
      followHeard(
        (line) => box.services.followLogs(name, line, { signal }),
        () => box.services.list(),
        onLine,
        onWait,
        wait,
      ),
    // Bounded as the list is: a silent engine is said after ENGINE_WAIT_MS, not waited on for good.
    inspect: async (name) =>
      formatInspection(await engineBound(box.services.inspect(name), wait)).split('\n'),
    settings: (name) => engineBound(box.services.config(name), wait),
    async configure(name, change) {
      limits.forget(name);
      // A change asks the engine whether the service runs before it writes: asked here first,
      // bounded, so a silent engine refuses the change (nothing written) rather than holding it
      // and writing it whenever the engine answers, after the view gave up.
      // An engine that is down answers at once: the change goes on (not known to run), as the CLI's.
      await engineBound(
        box.services.status(name).then(
          () => {},
          () => {},
        ),
        wait,
      );
      return settingsChangeText(await box.services.configure(name, change)).split('\n');
    },
    async updates() {
      if (!(await box.repos.any()))
        return { available: false, reason: 'no repository configured (bpkg repo add NAME URL)' };
      return box.packages.upgradable().then((u) => ({ available: true, value: u.length }) as const, failed);
    },
    packages: () => packageRows(box).then((value) => ({ available: true, value }) as const, failed),
    keys: () =>
      box.keys.list().then(
        (keys) =>
          ({
            available: true,
            value: keys.map((k) => ({
              fingerprint: showFingerprint(k.fingerprint),
              name: k.userIds.join(', '),
              repositories: k.repositories,
              revoked: k.revoked,
            })),
          }) as const,
        failed,
      ),
    setupDone: () => box.setup.done(),
    moduleOps: () => box.setup.moduleOps(),
    catalog: () => box.setup.catalog(),
    encryptionTarget: () => box.setup.encryptionTarget(),
    encrypt: (choice) => box.setup.encrypt(choice),
    encryption: () => box.setup.encryptionState(),
    systemAndEgress: () => box.systemAndEgress({ maxAgeMs: 15_000 }),
    outbound: () => box.audit.outbound().then((value) => ({ available: true, value }) as const, failed),
    system: () => box.system.status().then((value) => ({ available: true, value }) as const, failed),
    async systemAction(action, progress, signal) {
      if (action.kind !== 'rollback')
        progress(
          action.kind === 'file' ? `verifying ${action.file}` : `taking system-bundle from ${action.repo}`,
        );
      const r = await box.system.act(action, {
        signal,
        info: progress,
        onProgress: (e) => progress(`${e.phase} ${e.name}${'bytes' in e ? ` ${bytes(e.bytes)}` : ''}`),
      });
      return (r.kind === 'rollback' ? formatRollback(r.slot) : formatInstall(r.result)).split('\n');
    },
    planSetup: async (answers) =>
      box.setup.plan(await box.setup.fromAnswers(answers, process.cwd(), 'the answers')),
    holdSetup: (plan, firstSetup) => box.setup.hold(plan, { firstSetup }),
    applySetup: (plan, onChange, signal, hold) =>
      box.setup.apply(plan, { signal, onChange, ...(hold ? { hold } : {}) }),
    upgradePlan: () => upgrade.plan(),
    async packageAction(action, name, progress, signal, approvals) {
      const call = packageProgress(progress, signal, bytes);
      if (action === 'install') {
        // The screen asked, showing the signer: the box carries out the plan without asking again.
        let kept: KeptPackage[] = [];
        const done = await box.packages.install([name], {
          ...call,
          ...(approvals ? { approveOutbound: approvals } : {}),
          kept: (k) => {
            kept = k;
          },
        });
        // What `bpkg install` says of each (a downgrade named, data kept from elsewhere warned of),
        // and of a dependency it marked as the admin's.
        for (const c of done) for (const l of installedLine(c).split('\n')) progress(l);
        for (const k of kept) progress(keptLine(k, { changed: done.some((c) => c.name === k.name) }));
        if (!done.length && !kept.length) progress(`${name} is already installed`);
        for (const n of await box.services.notStarted(done)) progress(notStartedLine(n));
        const signer = await box.packages.signerOf(name);
        const shown = shownSigner.get(name);
        if (signer) {
          progress(verifiedLine(signer));
          if (shown !== undefined && showFingerprint(shown) !== showFingerprint(signer.fingerprint))
            progress(
              `warning: this is not the key shown before installing (${showFingerprint(shown) || 'none'})`,
            );
        }
      } else if (action === 'remove') {
        // `bpkg remove`'s lines: where a module's data went, and a running service it stopped.
        for (const c of await box.packages.remove([name], call))
          for (const l of removedLine(c).split('\n')) progress(l);
      } else await upgrade.run(call, progress);
    },
    /**
     * The package's own signer, not the index's (`packages.preview`): shown before the admin says
     * yes; `packageAction` then reports the key the install verified.
     */
    async signerOf(name) {
      const { offer: o, plan, kept } = await box.packages.preview(name);
      shownSigner.set(name, o.fingerprint === 'none' ? '' : o.fingerprint);
      return {
        version: `${o.version} from ${o.repo}`,
        fingerprint: o.fingerprint,
        signer: o.signer,
        plan: [
          ...planLines(plan).flatMap((l) => (l ? l.split('\n') : [])),
          ...(kept ?? []).map((k) =>
            keptLine(k, { dryRun: true, changed: plan.some((c) => c.name === k.name) }),
          ),
        ],
      };
    },
  });
}
