import { lstatSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { NotFoundError, storageErrorFrom } from '../errors.js';
import { ensureDir } from '../system/fs.js';
import { acquireLock } from '../system/lock.js';
import { notYetThere, removeWhileEmpty } from '../system/made-folders.js';
import { type Layout, layout } from '../system/paths.js';
import { brokenConstraints, type HeldUpgrade, heldBackLine, type Upgradable } from './constraints.js';
import type { InstalledPackage } from './db.js';
import { pruneLocalCopies } from './fetch.js';
import type { PackageHooks } from './hooks.js';
import {
  discardLocals,
  type InstallOptions,
  installLocked,
  type PlannedChange,
  planChanged,
  planWithSources,
} from './install.js';
import { readInstalled } from './installed-db.js';
import type { Keyring, TrustedKey } from './keyring.js';
import { LocalKey } from './local-key.js';
import { inspectLocalPackage } from './local-read-once.js';
import { type OfferInfo, offeredSigners, packageInfo, type SearchHit, searchOffers } from './offers.js';
import { originJudge } from './origin-keys.js';
import type { ManagerParts, ProgressEvent, WrittenEvent } from './parts.js';
import { removal } from './removal.js';
import { Repositories } from './repos.js';
import { unneededPackages } from './resolve.js';
import { rollbackLocked } from './rollback.js';
import { writesNoCaches } from './sealed-write.js';
import { originsOf, signingProblems, verifyVersion } from './states.js';
import { type Change, currentLink, type RecoveryOutcome, Transactions } from './transaction.js';
import { boxKeyring, checkRoot, updateAll } from './update.js';
import { upgradePlan, upgradeSpecsFor } from './upgrade.js';
import type { VerifyReport } from './verify-files.js';

export { hostArch, type InstallOptions, type KeptPackage, type PlannedChange } from './install.js';
export type { OfferInfo, SearchHit } from './offers.js';
export type { ProgressEvent, WrittenEvent } from './parts.js';

export interface ManagerOptions {
  root: string;
  hooks?: PackageHooks;
  now?: () => Date;
  yes?: boolean;
  info?: (line: string) => void;
  warn?: (line: string) => void;
  onProgress?: (e: ProgressEvent) => void;
  /** The bytes a copy or an unpacking has written so far, as they land (parts.ts WrittenEvent). */
  onWritten?: (e: WrittenEvent) => void;
  signal?: AbortSignal;
  /**
   * Only reads (`plan`, `removalPlan`: a dry run): no cache a read would make again is written
   * (sealed-write.ts `writesNoCaches`), and an interrupted transaction is not finished by a read.
   */
  dryRun?: boolean;
}

/**
 * The package manager behind `bpkg`: trusted keys, repositories, and crash-safe transactions
 * over the installed-package database, all under one root directory.
 */
export class PackageManager {
  readonly paths: Layout;
  readonly keyring: Keyring;
  readonly repos: Repositories;
  private readonly parts: ManagerParts;

  constructor(private readonly opts: ManagerOptions) {
    const paths = layout(opts.root);
    if (opts.dryRun) writesNoCaches(paths);
    const now = opts.now ?? (() => new Date());
    const hooks = opts.hooks ?? {};
    const localKey = new LocalKey(paths);
    // The box's own key signs local packages only: left out of the keyring (local-key.ts).
    const keyring = boxKeyring(paths, localKey, now);
    const hookOpts = { yes: opts.yes ?? false, info: opts.info ?? (() => {}), warn: opts.warn ?? (() => {}) };
    const progress = (e: ProgressEvent) => opts.onProgress?.(e);
    this.paths = paths;
    this.keyring = keyring;
    this.repos = new Repositories(paths, keyring, now);
    this.parts = {
      paths,
      keyring,
      repos: this.repos,
      tx: new Transactions(paths, hooks, hookOpts),
      hooks,
      hookOpts,
      now,
      progress,
      ...(opts.onWritten ? { written: opts.onWritten } : {}),
      fetchContext: {
        cacheDir: paths.pkgCache,
        configFile: paths.configFile,
        trusted: () => keyring.keys(),
        revoked: async () => (await keyring.list()).filter((k) => k.revoked).map((k) => k.fingerprint),
        localKey: () => localKey.publicKey(),
        now,
        progress,
        ...(opts.onWritten ? { written: opts.onWritten } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
  }

  /**
   * Refuses a root whose folders lead out of it through symlinks (`ROOT/opt/blueprint -> /srv`):
   * every write, rename and recursive delete below would land there. Judged before anything is
   * written, package folders under opt/blueprint included.
   */
  private async checkRoot(): Promise<void> {
    checkRoot(this.paths);
  }

  /** No package state and no package cache: a root no package command has written to. */
  private neverUsed(): boolean {
    return (
      !lstatSync(this.paths.pkgState, { throwIfNoEntry: false }) &&
      !lstatSync(this.paths.pkgCache, { throwIfNoEntry: false })
    );
  }

  /** Takes the lock, finishes any interrupted transaction, runs `fn`, releases the lock. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.checkRoot();
    const made = notYetThere(this.paths.pkgState);
    try {
      await ensureDir(this.paths.pkgState);
    } catch (err) {
      throw storageErrorFrom(err, 'preparing the package database');
    }
    const release = await acquireLock(this.paths.lockFile, 'package operation');
    let failed = false;
    try {
      const outcome = await this.parts.tx.recover();
      await pruneLocalCopies(this.parts.fetchContext);
      if (outcome !== 'none')
        this.parts.hookOpts.info(
          `An interrupted transaction was ${outcome === 'completed' ? 'completed' : 'rolled back'}.`,
        );
      return await fn();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      await release();
      // A failure on a root that was not there (a typo in --root) leaves no folder tree behind:
      // the folders made for the lock, deepest first, while they are still empty.
      if (failed) await removeWhileEmpty(made);
    }
  }

  /** Finishes or rolls back an interrupted transaction, if any. */
  async recover(): Promise<RecoveryOutcome> {
    await this.checkRoot();
    // No package state and no cache yet (a new root): no transaction can have begun, no copy of a
    // local package was left, and nothing is made. A cache alone may hold a dead process's copies.
    if (this.neverUsed()) return 'none';
    await ensureDir(this.paths.pkgState);
    const release = await acquireLock(this.paths.lockFile, 'package operation');
    try {
      const outcome = await this.parts.tx.recover();
      await pruneLocalCopies(this.parts.fetchContext);
      return outcome;
    } finally {
      await release();
    }
  }

  async installed(): Promise<InstalledPackage[]> {
    if (!this.opts.dryRun && (await this.parts.tx.pending())) await this.recover().catch(() => {});
    const db = await readInstalled(this.paths);
    // Records from before origins were kept show the origin they are upgraded from (see originOf).
    const origins = Object.values(db.packages).some((p) => !p.origin)
      ? originsOf(db, await this.repos.states())
      : undefined;
    return Object.values(db.packages)
      .map((p) => (p.origin || !origins ? p : { ...p, origin: origins.get(p.name) ?? 'unknown' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A signed, self-contained subset of the repositories for an air-gapped box (see bundle.ts).
   * Under the lock: its downloads go through the package cache, which `clean` empties.
   */
  async bundle(names: string[], out: string): Promise<import('./bundle.js').BundleResult> {
    const { bundle } = await import('./bundle.js');
    return this.locked(() => bundle(this.parts, names, out));
  }

  /** `bpkg clean`: the package cache's archives and partial downloads removed, or with `dryRun` listed (clean.ts). */
  async clean(opts: { dryRun?: boolean } = {}): Promise<import('./clean.js').CleanResult> {
    const { cleanCache } = await import('./clean.js');
    // A root that never had a package command (no package state, no cache): nothing to clean and
    // no transaction to finish, so nothing is made for the lock either.
    await this.checkRoot();
    if (this.neverUsed()) return { removed: [], bytes: 0, ...(opts.dryRun ? { dryRun: true as const } : {}) };
    return this.locked(() => cleanCache(this.paths.pkgCache, opts));
  }

  async update(): Promise<import('./repos.js').UpdateOutcome[]> {
    await this.checkRoot();
    return updateAll(this.paths, this.repos, this.opts.signal);
  }

  async search(word: string): Promise<SearchHit[]> {
    return searchOffers(this.parts, word);
  }

  /** One package: its installed record, the repository it upgrades from, the versions offered. */
  async info(name: string): Promise<OfferInfo> {
    return packageInfo(this.parts, name, () => this.installed());
  }

  /**
   * Who signed what `install NAME` would take: the trusted keys its own detached signature names
   * (the `.asc` alone is fetched, a few KB; the package is not downloaded). Install verifies that
   * signature over the bytes it unpacks; this is what to show before the admin says yes.
   */
  async offeredSigners(name: string): Promise<{ version: string; repo: string; keys: TrustedKey[] }> {
    return offeredSigners(this.parts, await this.info(name));
  }

  /**
   * One package from one repository, verified as an install verifies it and unpacked into
   * `opts.into`, not installed (`blueprint system update --from REPO`: fetch-verified.ts).
   */
  async fetchVerified(
    opts: import('./fetch-verified.js').FetchVerifiedOptions,
  ): Promise<import('./fetch-verified.js').FetchedPackage> {
    const { fetchVerified } = await import('./fetch-verified.js');
    return this.locked(() => fetchVerified(this.parts, opts));
  }

  /**
   * Works out what `install` would do, without changing anything: a package file given is read
   * once, with no copy made of it (local-read-once.ts).
   */
  async plan(specs: string[], opts: InstallOptions = {}): Promise<PlannedChange[]> {
    await this.checkRoot();
    const { changes, kept } = await planWithSources(this.parts, specs, opts, inspectLocalPackage);
    if (kept.length) opts.kept?.(kept);
    return changes;
  }

  /**
   * Who signed each package of `changes` from a repository (fingerprints by name), from their
   * signatures alone; refused as the install would refuse them (plan-signers.ts).
   */
  async planSigners(changes: PlannedChange[]): Promise<Map<string, string>> {
    const { planSigners } = await import('./plan-signers.js');
    return planSigners(this.parts, changes);
  }

  /**
   * Plans under the package lock (see `InstallOptions.confirm` and `expected`), then carries out
   * that plan: downloads, signature checks, unpacking, one committed transaction.
   */
  async install(specs: string[], opts: InstallOptions = {}): Promise<PlannedChange[]> {
    const copies: Array<{ file: string }> = [];
    return this.locked(() => installLocked(this.parts, specs, opts, copies)).finally(() =>
      discardLocals(this.parts, copies),
    );
  }

  /**
   * Removes the named packages in one transaction; refuses to break a dependent unless `force`.
   * A name not installed is refused (not found) unless `missingOk`, which leaves it out.
   */
  async remove(names: string[], opts: { force?: boolean; missingOk?: boolean } = {}): Promise<Change[]> {
    return this.locked(async () => {
      const db = await readInstalled(this.paths);
      const { changes } = removal(db, names, opts);
      const next = structuredClone(db);
      for (const c of changes) delete next.packages[c.name];
      if (changes.length) await this.parts.tx.run('remove', changes, next, async () => {});
      return changes;
    });
  }

  /**
   * What `remove(names, { force, missingOk: true })` would do, nothing changed (no lock taken, no
   * transaction finished): the changes, the names not installed, and the dependencies it would
   * leave unneeded. The same refusal as `remove` for a dependent it would break.
   */
  async removalPlan(
    names: string[],
    opts: { force?: boolean } = {},
  ): Promise<{ changes: Change[]; notInstalled: string[]; unneeded: string[] }> {
    await this.checkRoot();
    const db = await readInstalled(this.paths);
    return removal(db, names, { ...opts, missingOk: true });
  }

  /** Packages installed as dependencies that nothing installed needs any more (`bpkg autoremove`). */
  async unneeded(): Promise<string[]> {
    return unneededPackages((await readInstalled(this.paths)).packages);
  }

  /**
   * Newer versions of installed packages from each one's own repository, and what installed
   * dependents hold back (upgrade.ts). `quiet`: no warning of the packages not upgraded.
   */
  async upgradePlan(opts: { quiet?: boolean } = {}): Promise<{
    ups: Upgradable[];
    held: HeldUpgrade[];
  }> {
    return upgradePlan(this.parts, opts);
  }

  async upgradable(): Promise<Upgradable[]> {
    return (await this.upgradePlan()).ups;
  }

  /**
   * `confirm`: asked with the upgrade's plan before anything is downloaded (see `InstallOptions`).
   * `expected`: the plan shown, carried out only if still the plan (see `InstallOptions`).
   * `onHeld`: told what this upgrade holds back (also warned of), before anything is installed.
   */
  async upgrade(
    opts: Pick<InstallOptions, 'confirm' | 'expected'> & { onHeld?: (held: HeldUpgrade[]) => void } = {},
  ): Promise<PlannedChange[]> {
    const { ups, held } = await this.upgradePlan();
    for (const h of held) this.parts.hookOpts.warn(heldBackLine(h));
    opts.onHeld?.(held);
    if (ups.length === 0) {
      // A plan shown earlier with something in it is stale, not carried out as "nothing upgraded".
      if (opts.expected?.length) throw planChanged(true);
      return [];
    }
    return this.install(await this.upgradeSpecs(ups), {
      upgrade: true,
      ...(opts.confirm ? { confirm: opts.confirm } : {}),
      ...(opts.expected ? { expected: opts.expected } : {}),
    });
  }

  /** What `upgrade` installs for `ups` (`NAME@TO`); NotFoundError for a new dependency no index offers. */
  async upgradeSpecs(ups: Upgradable[]): Promise<string[]> {
    return upgradeSpecsFor(this.parts, ups);
  }

  /** Makes the previous version current again (it is kept on disk by every upgrade). */
  async rollback(name: string): Promise<Change> {
    return (await this.rollbackAll([name]))[0]!;
  }

  /**
   * Swaps each named package to its other kept version, in one transaction. Refused when the
   * result breaks what an installed package needs: the hint names what to roll back together.
   */
  async rollbackAll(names: string[]): Promise<Change[]> {
    return this.locked(() => rollbackLocked(this.parts, names));
  }

  /** Checks installed files against the hashes recorded at install, like debsums. */
  async verify(name?: string): Promise<VerifyReport[]> {
    const pkgs = await this.installed();
    const chosen = name ? pkgs.filter((p) => p.name === name) : pkgs;
    if (name && chosen.length === 0) throw new NotFoundError(`${name} is not installed`, 'See `bpkg list`.');
    const out = [];
    const broken = brokenConstraints(Object.fromEntries(pkgs.map((p) => [p.name, p])));
    // Installed before its key was revoked (nothing it signs is accepted now): said, as a change is.
    // The key that made its signature: the primary, or the signing subkey installed.json recorded.
    const origins = await originJudge(this.parts);
    for (const p of chosen) {
      const r = await verifyVersion(this.parts, p.name, p.version);
      r.problems.push(...(await signingProblems(this.parts, origins, p)));
      const link = await readlink(currentLink(this.paths, p.name)).catch(() => undefined);
      if (link !== p.version) r.problems.push({ path: `${p.name}/current`, problem: 'not-current' });
      for (const b of broken.filter((b) => b.dependent === p.name))
        r.problems.push({ path: b.dependency, problem: 'unsatisfied-dependency' });
      out.push({ ...r, ok: r.problems.length === 0 });
    }
    return out;
  }
}
