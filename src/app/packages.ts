import { showFingerprint } from '../core/pkg/fingerprint-text.js';
import type {
  IndexEntry,
  InstalledPackage,
  PlannedChange,
  SearchHit,
  UpdateOutcome,
  Upgradable,
  VerifyReport,
} from '../core/pkg/index.js';
import type { KeptPackage } from '../core/pkg/install.js';
import type { PurgeAsk } from '../core/services/consumer-purge.js';

export type { InstalledChange, InstallOptions, KeptPackage, OfferedPackage };

import type { BoxContext } from './context.js';
import type { CallOptions } from './index.js';
import type { OutboundApprovals } from './outbound-approval.js';
import { noEmptyName } from './package-names.js';
import {
  type InstalledChange,
  type InstallOptions,
  installOps,
  type OfferedPackage,
} from './packages-install.js';
import { type RemoveOptions, removeOps } from './packages-remove.js';
import { type UpgradeOptions, type UpgradeOutlook, upgradeOps } from './packages-upgrade.js';
import type { ShownChange } from './plan-reach.js';

export interface PackageInfo {
  name: string;
  installed?: InstalledPackage;
  /** The repository an installed package is upgraded from; absent when unknown. */
  upgradesFrom?: string;
  /** Every version the verified indexes offer, newest first. */
  available: Array<IndexEntry & { repo: string }>;
}

/** A removed package; a module's data folder is either kept (the default) or purged. */
export interface RemovedPackage {
  name: string;
  from?: string;
  /** The module's data folder, deleted because the admin asked to purge. */
  purged?: string;
  /** The module's data folder, kept for a later reinstall (`bpkg remove --purge` deletes it). */
  dataKept?: string;
  /**
   * Purged: each provider that keeps data per consumer, asked to delete what this one made there
   * (core/services/consumer-purge.ts), and how it went. Absent when there was none to ask.
   */
  purgeAsked?: PurgeAsk[];
  /** `removalPlan` with purge: the providers that would be asked (as purgeAsked's). */
  wouldAsk?: string[];
  /** Of `wouldAsk`, those not installed, asked through their kept data (purgeAsked's `kept`). */
  wouldAskKept?: string[];
  /** Its image, left in the engine because the engine was down, and the command that removes it. */
  imageLeft?: { image: string; remove: string; alsoShared?: string };
  /**
   * Its module's service was running and the removal stopped it (its container goes with the
   * package: core/services/hooks.ts afterRemove). Absent otherwise, or when the engine cannot say.
   */
  stopped?: true;
}

/** A row of a packages screen: installed first, then what the repositories offer besides. */
export interface PackageRow {
  name: string;
  version: string;
  installed: boolean;
  summary: string;
  /** Installed: the repository it came from and upgrades from; offered: the one offering it. */
  origin?: string;
  /** Installed: the fingerprint (upper case) of the key its package signature was verified with. */
  signer?: string;
  /** Installed: the newer version its own repository offers. */
  upgrade?: string;
  /** Installed as a dependency (`autoremove` removes it once nothing needs it); absent otherwise. */
  auto?: boolean;
}

/** bpkg. Names may be `NAME`, `NAME@VERSION` or paths of local `.bpkg` files (`.asc` beside). */
export interface PackageOps {
  /** Installed packages, by name, with origin and signer. */
  list(): Promise<InstalledPackage[]>;
  /**
   * What a packages screen lists (the TUI's, the web's): installed packages with origin, signer and
   * upgrade, then the newest offer of every package not installed. Unreadable indexes offer nothing.
   * `query` keeps the rows whose name or summary contains it (case-insensitive; '' for all).
   */
  rows(query?: string): Promise<PackageRow[]>;
  /** The newest offer of each package whose name or summary contains `word` ('' for all). */
  search(word: string): Promise<SearchHit[]>;
  /** One package: installed record, where it upgrades from, versions offered. NotFoundError if unknown. */
  info(name: string): Promise<PackageInfo>;
  /**
   * What `install` would do, without changing anything (show it, then pass it as `expected`).
   * `signers`: also each repository package's own signature, fetched alone (not the package): its
   * trusted signer's fingerprint (lower case) as `signer`, or the install's refusal (exit 4) when
   * no key trusted for its repository signed it (`bpkg install --dry-run`).
   */
  plan(
    specs: string[],
    opts?: Omit<InstallOptions, 'expected'> & { signers?: boolean },
  ): Promise<Array<ShownChange & { signer?: string }>>;
  /**
   * Plans under the package lock, asks `confirm({ kind: 'install', changes })` (unless `expected`
   * is given), then carries out that same plan: downloads, verifies signatures, unpacks, commits.
   * Returns the changes made ([] when already installed). DeclinedError when the admin says no.
   */
  install(specs: string[], opts?: InstallOptions): Promise<InstalledChange[]>;
  /**
   * Asks `confirm({ kind: 'remove', names })`, then removes; refuses to break a dependent unless
   * `force`. A name not installed refuses it all (exit 3) unless `notInstalled` is given: then it is
   * told there and the others removed (`bpkg remove`, as apt). A name that is no package name: exit 2.
   */
  remove(names: string[], opts?: CallOptions & RemoveOptions): Promise<RemovedPackage[]>;
  /**
   * What `remove(names, { notInstalled })` would do, nothing changed (`bpkg remove --dry-run`): the
   * packages it removes (with the data it keeps or, `purge`, deletes), the names not installed,
   * and the dependencies it leaves unneeded. Refused as `remove` is for a dependent it breaks.
   */
  removalPlan(
    names: string[],
    opts?: { force?: boolean; purge?: boolean },
  ): Promise<{
    changes: RemovedPackage[];
    notInstalled: string[];
    unneeded: string[];
    /** The running services the removal would stop (their modules removed). */
    stops: string[];
  }>;
  /** Packages installed as dependencies that nothing installed needs any more, sorted. */
  unneeded(): Promise<string[]>;
  /** `remove` of what `unneeded` names (apt's autoremove); [] with nothing asked when there is none. */
  autoremove(opts?: CallOptions & { purge?: boolean }): Promise<RemovedPackage[]>;
  /** Newer versions from each installed package's own repository (no download). */
  upgradable(): Promise<Upgradable[]>;
  /**
   * `upgradable`, and the newer versions `upgrade` holds back to keep what installed packages need
   * (`bpkg list --upgradable`). No plan is made: as quick as `upgradable`.
   */
  upgradeOutlook(): Promise<UpgradeOutlook>;
  /**
   * `upgradeOutlook` and, from the same look, the plan `upgrade` would ask about (`bpkg upgrade
   * --dry-run`, the dashboard's plan page), nothing changed: `changes`, each upgrade and each
   * package new to the box it brings in (`dependencyOf`); [] when there is nothing to upgrade.
   * `quiet`: no warning of the packages not upgraded (a page that shows none). `signers`: each
   * package's own signature too, as `plan`'s (`bpkg upgrade --dry-run`): `signer`, or the upgrade's
   * refusal (exit 4: no trusted key, or a key trusted only for another repository).
   */
  upgradePlan(opts?: {
    quiet?: boolean;
    signers?: boolean;
  }): Promise<UpgradeOutlook & { changes: Array<ShownChange & { signer?: string }> }>;
  /**
   * Asks `confirm({ kind: 'upgrade', changes })` when there is something to do, then upgrades.
   * `refresh`: fetch and verify the indexes first (`bpkg update && bpkg upgrade`; the TUI's `u`).
   */
  upgrade(opts?: UpgradeOptions): Promise<PlannedChange[]>;
  /** Swaps each named package to its kept previous version, in one transaction. */
  rollback(names: string[], opts?: CallOptions): Promise<{ name: string; from?: string; to?: string }[]>;
  /** Installed files against the hashes recorded at install, like debsums (all without a name). */
  verify(name?: string): Promise<VerifyReport[]>;
  /** Fetches and verifies every repository's signed index; a refused one keeps its previous index. */
  update(opts?: CallOptions): Promise<UpdateOutcome[]>;
  /** Writes the named packages (with dependencies, signatures, the signed index) for an offline box. */
  bundle(
    names: string[],
    out: string,
    opts?: CallOptions,
  ): Promise<import('../core/pkg/bundle.js').BundleResult>;
  /** Finishes or rolls back an interrupted transaction. */
  recover(): Promise<'none' | 'completed' | 'rolled-back' | string>;
  /**
   * Empties the package cache (`bpkg clean`): downloaded archives and partial downloads, which only
   * save a download; never an installed package's files or a copy in use. `dryRun`: only the list
   * of what would go, with its bytes; nothing removed.
   */
  clean(opts?: { dryRun?: boolean }): Promise<import('../core/pkg/clean.js').CleanResult>;
  /**
   * What the console and the dashboard show before asking to install `name`, from one package
   * manager: who signed what `install NAME` would take (the package's own detached signature,
   * fetched alone: a few KB, the package is not downloaded), and the plan (`plan`, with `kept`).
   */
  preview(name: string): Promise<{
    offer: OfferedPackage;
    plan: ShownChange[];
    /** The package was installed as a dependency: the install would mark it as the admin's. */
    kept?: KeptPackage[];
  }>;
  /** The installed package's verified signer, with the key's user IDs when still trusted. */
  signerOf(name: string): Promise<{ fingerprint: string; userIds: string[] } | undefined>;
}

/**
 * `bpkg install "$PKG"` with the variable never set: an empty name, said as one (it was 'No package
 * in the verified indexes', exit 3, as if a package had that name).
 */
export function packageOps(ctx: BoxContext): PackageOps {
  const pm = (call?: CallOptions & { approveOutbound?: OutboundApprovals }) => ctx.manager(call);
  return {
    list: async () => (await pm()).installed(),
    async rows(query = '') {
      const m = await pm();
      const all = await m.installed();
      const have = new Set(all.map((p) => p.name));
      const q = query.toLowerCase();
      const installed = all.filter((p) => !q || p.name.includes(q) || p.summary.toLowerCase().includes(q));
      const [offered, upgradable] = await Promise.all([
        m.search(query).catch(() => []),
        installed.length ? m.upgradable().catch(() => []) : [],
      ]);
      return [
        ...installed.map((p) => {
          const up = upgradable.find((u) => u.name === p.name);
          return {
            name: p.name,
            version: p.version,
            installed: true,
            summary: p.summary,
            ...(p.origin ? { origin: p.origin } : {}),
            ...(p.signer ? { signer: showFingerprint(p.signer) } : {}),
            ...(up ? { upgrade: up.to } : {}),
            ...(p.auto ? { auto: true } : {}),
          };
        }),
        ...offered
          .filter((h) => !have.has(h.name))
          .map((h) => ({
            name: h.name,
            version: h.version,
            installed: false,
            summary: h.summary,
            origin: h.repo,
          })),
      ];
    },
    search: async (word) => (await pm()).search(word),
    info: async (name) => {
      noEmptyName([name], 'info');
      return (await pm()).info(name);
    },
    ...installOps(ctx, pm),
    ...removeOps(ctx),
    unneeded: async () => (await pm()).unneeded(),
    async autoremove(opts = {}) {
      const names = await (await pm(opts)).unneeded();
      return names.length ? this.remove(names, opts) : [];
    },
    ...upgradeOps(ctx, pm),
    rollback: async (names, opts = {}) => (await pm(opts)).rollbackAll(names),
    verify: async (name) => (await pm()).verify(name),
    // Without the package manager's other modules (installer, services hooks, zod): issue 20.
    update: async (opts = {}) =>
      (await import('../core/pkg/update.js')).updateBox(ctx.root, opts.signal ?? ctx.options.signal),
    bundle: async (names, out, opts = {}) => (await pm(opts)).bundle(names, out),
    recover: async () => (await pm()).recover(),
    clean: async (opts = {}) => (await pm()).clean(opts),
    async signerOf(name) {
      const m = await pm();
      const signer = (await m.installed()).find((p) => p.name === name)?.signer;
      if (!signer) return undefined;
      const key = (await m.keyring.list()).find((k) => k.fingerprint === signer);
      return { fingerprint: showFingerprint(signer), userIds: key?.userIds ?? [] };
    },
  };
}
