/**
 * What the dashboard's pages ask of the box. `app-ops.ts` answers it with `src/app` (the same
 * calls the CLI and the TUI make); tests answer it with a fake. Plain data only: every string here
 * may come from a repository, a key or a container and is escaped when a page renders it.
 */

import type { PackageRow, SettingsChange } from '../app/index.js';
import type { OutboundRow } from '../present/outbound.js';

export type Maybe<T> = { available: true; value: T } | { available: false; reason: string };

export interface HostView {
  hostname: string;
  kernel: string;
  uptime: string;
  cpu: string;
  memory: string;
  disk: string;
}

export interface ListenerView {
  proto: string;
  address: string;
  port?: number;
  note?: string;
  flagged?: boolean;
}

export interface ExposureView {
  firewall: string;
  listeners: ListenerView[];
  /** false: the root has no socket tables (the demo's), so none were read (ExposureAudit). */
  socketsRead?: boolean;
}

export interface ServiceView {
  name: string;
  version: string;
  /** running, exited, restarting, crash-looped, ... */
  state: string;
  health?: string;
  network?: string;
  memory?: string;
  rating?: { score: number; max: number; reasons: string[] };
  /** false: its rating (the running container's) has a point blueprint's sandbox never gives. */
  sandboxed?: boolean;
  /** The installed modules that use this one (their manifests' `uses`): stopping it would break them. */
  usedBy?: string[];
  /** Its registration cannot be read (state `damaged`): what is wrong and the fix. */
  damaged?: { message: string; hint?: string };
}

export interface ServiceDetail extends ServiceView {
  /** The sandbox as `blueprint service inspect` shows it, line by line. */
  inspection: string[];
  /**
   * Running with a memory limit not its plan's: one its next start changes (the two, and that
   * Restart applies it), or one set outside blueprint (the command that sets it back).
   */
  runningLimits?: string;
}

/** A row of the packages page: the one `box.packages.rows` gives the console too. */
export type PackageView = PackageRow;

export interface SignerView {
  version: string;
  origin: string;
  fingerprint: string;
  signer: string;
  /**
   * What the install will do, dependencies first: the plan it then carries out as shown, a row of
   * cells per package (`bpkg install`'s columns: name, from -> to, repository, size, whose dependency).
   */
  planRows?: string[][];
  /** Said after the rows: which modules each can reach, with their access tokens. */
  changes?: string[];
  /** This page's plan: its confirmation carries it, and the install carries out that plan only. */
  plan: string;
}

/** The plan `bpkg upgrade` asks about, shown before the admin confirms the dashboard's upgrade. */
export interface UpgradeView {
  /** The install page's cells (SignerView.planRows); a package new to the box has `(new)` by its version. */
  planRows: string[][];
  /** Which modules each can reach, with their access tokens. */
  changes: string[];
  /** Newer versions the upgrade holds back, in the words `bpkg upgrade` warns with. */
  held: string[];
  /** This page's plan, as SignerView's: the upgrade carries out that plan, once. */
  plan: string;
}

export interface GpuView {
  name: string;
  vendor: string;
  detail: string;
}

export interface KeyView {
  fingerprint: string;
  name: string;
  state?: string;
  /** The repositories this key may sign (trust is scoped: it vouches for no other). */
  trustedFor?: string[];
}

export interface RepoView {
  name: string;
  url: string;
  keys: string[];
  state?: string;
  /** When its index was last fetched and accepted (`bpkg update`). */
  fetched?: string;
  /** The packages its verified index offers. */
  packages?: string[];
}

/** "Add a repository…" as the form sends it: `mirrors` one URL a line, `repository` optional. */
export interface NewRepoAsk {
  name: string;
  url: string;
  armored: string;
  mirrors?: string[];
  repository?: string;
}

/** What the admin confirms before a key is trusted: the key's full fingerprint, user ids, dates. */
export interface NewRepoView {
  name: string;
  /** As it will be configured (a folder path as file:///…). */
  url: string;
  /** Other URLs of the same repository, as configured (`--mirror`). */
  mirrors: string[];
  /** The name its index must carry (`--repository`); absent: pinned at the first update. */
  repository?: string;
  /** Lower-case hex, pinned by the confirmation; `shownFingerprint` as GnuPG prints it. */
  fingerprint: string;
  shownFingerprint: string;
  /** Control characters made visible; the page escapes them too. */
  userIds: string[];
  /** How many user IDs the key did not certify were left out, in words (uncertifiedUserIdsNote). */
  otherUserIds?: string;
  created: string;
  expires?: string;
}

/** An upload of a GGUF from the browser: the model's name, its licence, the file's name there, its size. */
export interface ModelUploadAsk {
  name: string;
  license?: string;
  /** The name of the browser's file (untrusted; refusals name it, escaped). */
  shownAs?: string;
  bytes: number;
  /**
   * The pre-check's sampled blocks of the file (core/models/import-again uploadSampleRanges, read by
   * the page's script): other bytes of an installed model's size are refused before they are sent.
   */
  sample?: Uint8Array;
}

/** The upload on the box: its file (root's alone), removed by `discard` whatever the import did. */
export interface ReceivedModel {
  file: string;
  discard(): Promise<void>;
}

/** A row of the Models page (`blueprint model list`, with `model show`'s size and quantisation). */
export interface ModelView {
  name: string;
  package: string;
  version: string;
  /** `local` (imported on this box) or the repository it came from. */
  origin: string;
  size?: string;
  quantisation?: string;
  /** The model llm serves when a request names none. */
  isDefault: boolean;
  /** It is so only as the first by name: no default is set. */
  fallback?: boolean;
  /** Why size and quantisation are missing. */
  error?: string;
}

/** A row of the Tokens page: a module's access token (`blueprint service token`), never the token. */
export interface TokenView {
  name: string;
  readsToken: boolean;
  tokenSet: boolean;
  /** It gives each module that uses it a token of its own (`service rotate-tokens`). */
  clientTokens: boolean;
  usedBy: string[];
}

/** What `blueprint service token NAME` did: the new token, shown once, and what to restart. */
export interface NewToken {
  name: string;
  token: string;
  file: string;
  /** The module and those that use it: the token applies at their next start. */
  restart: string[];
}

export interface Overview {
  host: HostView;
  setupDone: boolean;
  gpus: Maybe<GpuView[]>;
  services: Maybe<ServiceView[]>;
  updates: Maybe<number>;
  exposure: ExposureView;
  /** The data partition's encryption in words (issue 23). */
  encryption: string;
  /** The OS in words (version, A/B slots): `blueprint status`'s system line. */
  system: string;
  /** Egress in words (default deny, what may go out): `blueprint status`'s egress line. */
  egress: string;
}

/** `blueprint audit outbound` as rows (src/present/outbound.ts), blocked first. */
export interface OutboundView {
  summary: string[];
  rows: OutboundRow[];
}

/** Module name -> the outbound hosts the admin approved on the page that named them (issue 19). */
export type Approvals = Record<string, string[]>;

/** Both A/B system slots (issue 21), as `blueprint system status` shows them. */
export interface SystemView {
  compatible: string;
  version: string;
  slots: Array<{
    slot: string;
    version: string;
    bootStatus: string;
    booted: boolean;
    next: boolean;
    installed: string;
  }>;
  /** What `system rollback` does now, in the console's words (present/update.ts rollbackLines). */
  rollback: string[];
}

/** `blueprint system update FILE | --from REPO | rollback`. */
export type SystemAction =
  | { kind: 'file'; file: string }
  | { kind: 'repo'; repo: string }
  | { kind: 'rollback' };

export type ServiceAction = 'start' | 'stop' | 'restart';
export type PackageAction = 'install' | 'remove' | 'upgrade';

export interface DashboardOps {
  overview(): Promise<Overview>;
  services(): Promise<ServiceView[]>;
  service(name: string): Promise<ServiceDetail>;
  /** What it did, in the CLI's words (present/service-actions.ts): started, already running, not running. */
  serviceAction(action: ServiceAction, name: string): Promise<string[]>;
  /**
   * `blueprint service config NAME [KEY=VALUE] [--unset KEY]` (a SettingsChange's view and `changed`
   * only without a change); `dryRun`: judged as the change is, nothing written. Absent: no card.
   */
  settings?(
    name: string,
    change?: { set: Record<string, string>; unset: string[]; dryRun?: boolean },
  ): Promise<SettingsChange>;
  /** Follows a service's log (the last lines first) until the signal aborts. */
  followLogs(name: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
  packages(query: string): Promise<PackageView[]>;
  /** Who signed what `install NAME` would install, shown before the admin confirms. */
  signerOf(name: string): Promise<SignerView>;
  /**
   * A package installed as a dependency: the id of the plan of `install NAME` (nothing to download;
   * it marks the package as the admin's), for the page's Keep it (`packageAction`'s `plan`).
   */
  keepPlan?(name: string): Promise<string>;
  /** `bpkg update`: the lines for the repositories it could not update (none when all were). */
  refresh(): Promise<string[]>;
  /** What `upgrade` would do (`bpkg upgrade --dry-run`); the upgrade then carries out this plan. */
  upgradePlan(): Promise<UpgradeView>;
  /**
   * `name` is ignored by upgrade. `plan`: the id of the plan the confirmed page showed (SignerView's
   * or UpgradeView's `plan`): an install or upgrade carries out that plan only, and is refused
   * (ConflictError `plan-changed`) without a plan shown for it, or when the plan changed since.
   */
  /**
   * An install refused for outbound network the admin has not approved throws an error with
   * `code: 'network-not-approved'`, `module` and `hosts`; the page asks, and the install is run
   * again with `approvals` (which hold for exactly the hosts shown).
   */
  packageAction(
    action: PackageAction,
    name: string,
    progress: (line: string) => void,
    signal: AbortSignal,
    approvals?: Approvals,
    plan?: string,
  ): Promise<void>;
  gpus(): Promise<Maybe<GpuView[]>>;
  keys(): Promise<KeyView[]>;
  repos(): Promise<RepoView[]>;
  exposure(): Promise<ExposureView>;
  /** What the box and its modules contacted, and what the firewall blocked. */
  outbound(): Promise<OutboundView>;
  /** The installed models and, in words, the default (`blueprint model list`, `model default`). */
  /** `llmBuiltIn`: the installed llm has its model built in and serves that one only (no default applies). */
  /** `defaultSet`: a default is set (installed or not): the page offers to clear it. */
  models?(): Promise<{ rows: ModelView[]; defaultLine: string; llmBuiltIn?: boolean; defaultSet?: boolean }>;
  /** `blueprint model show NAME`'s rows; NotFoundError (exit 3) for no installed model. */
  model?(name: string): Promise<[string, string][]>;
  /** `blueprint model default NAME | --clear`: what it did, in the CLI's words. */
  setDefaultModel?(name: string | undefined): Promise<string>;
  /**
   * "Import a model…" (`blueprint model import FILE --name NAME`, the file sent from the browser):
   * `checkModelUpload` refuses what the import would refuse before a byte is sent (a bad or taken
   * name, no room for the upload and the import); `receiveModel` streams the request's body to a
   * root-only file; `importModel` imports it (read once, hashed), its progress and outcome as lines.
   */
  checkModelUpload?(o: ModelUploadAsk): Promise<void>;
  receiveModel?(body: AsyncIterable<Uint8Array>, bytes: number, signal: AbortSignal): Promise<ReceivedModel>;
  /** Called once at the dashboard's start: the partial uploads earlier dashboards left, removed. */
  pruneModelUploads?(): Promise<void>;
  importModel?(
    upload: ReceivedModel,
    o: ModelUploadAsk,
    progress: (line: string) => void,
    signal: AbortSignal,
    // changed false: installed already with these very bytes ("unchanged", as the CLI says).
  ): Promise<{ changed: boolean } | undefined>;
  /** Which modules take an access token, have one, and who uses them. */
  tokens?(): Promise<TokenView[]>;
  /** `blueprint service token NAME`: a new random token, written as the CLI writes it. */
  newToken?(name: string): Promise<NewToken>;
  /**
   * `blueprint service token NAME --stdin` (`token` given: the admin's own, checked as the CLI
   * checks it) or `--remove` (undefined): the CLI's line, never the token.
   */
  setOwnToken?(name: string, token: string | undefined): Promise<string>;
  /** `blueprint service rotate-tokens PROVIDER`: its consumers' new tokens, in the CLI's words. */
  rotateConsumerTokens?(provider: string): Promise<string>;
  /**
   * `bpkg repo remove NAME`: what it did and, for the packages installed from it (which stay, not
   * upgraded from then on), the CLI's warning. `from`: those packages, for the confirmation page.
   */
  removeRepo?(name: string): Promise<string>;
  /**
   * "Add a repository…": `checkNewRepo` refuses what `bpkg repo add` and `bpkg key add` would (and a
   * private, revoked or expired key, one trusted for another repository, a name taken), writing
   * nothing; `addRepo` trusts the key pinned to `fingerprint` for that repository only, adds it and
   * runs its first update, each step a line; an update that refuses the index keeps neither, one
   * that reached no URL keeps both, as `bpkg repo add` does (the error says which).
   */
  checkNewRepo?(ask: NewRepoAsk): Promise<NewRepoView>;
  addRepo?(
    ask: NewRepoAsk & { fingerprint: string },
    progress: (line: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  installedFrom?(repo: string): Promise<string[]>;
  /** Both system slots; unavailable on a box without A/B updates. */
  system?(): Promise<Maybe<SystemView>>;
  /** An A/B system update or the way back; progress and the outcome as lines. */
  systemAction?(action: SystemAction, progress: (line: string) => void, signal: AbortSignal): Promise<void>;
}
