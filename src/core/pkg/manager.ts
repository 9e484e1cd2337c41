import { readlink, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { gt } from 'semver';
import {
  ConflictError,
  DeclinedError,
  NotFoundError,
  storageErrorFrom,
  UsageError,
  VerificationError,
} from '../errors.js';
import { assertInsideRoot, ensureDir, exists } from '../system/fs.js';
import { acquireLock } from '../system/lock.js';
import { type Layout, layout, managedDirs } from '../system/paths.js';
import { type Extracted, extractPackage } from './archive.js';
import {
  brokenConstraints,
  describeConstraint,
  type HeldBack,
  newlyBroken,
  planUpgrade,
  refuseBreaking,
  sameDepends,
  type Versioned,
} from './constraints.js';
import { type Database, type InstalledPackage, loadDatabase, loadFileList, saveFileList } from './db.js';
import {
  checkPackageSignature,
  discardLocalCopy,
  type FetchContext,
  fetchPackage,
  pruneLocalCopies,
  readLocalPackage,
} from './fetch.js';
import { type IndexEntry, packageFileName, parseJsonBytes, parseManifest } from './format.js';
import type { HookOptions, PackageHooks } from './hooks.js';
import { Keyring } from './keyring.js';
import { type RepoState, Repositories } from './repos.js';
import {
  archMatches,
  type Candidate,
  dependentsOf,
  originOf,
  type Pins,
  parseRequest,
  resolve,
} from './resolve.js';
import {
  type Change,
  currentLink,
  type RecoveryOutcome,
  stagingRoot,
  Transactions,
  versionDir,
} from './transaction.js';
import { checkDeclaredHashes, checkFile, type VerifyProblem, type VerifyReport } from './verify-files.js';

export type ProgressEvent =
  | { phase: 'download'; name: string; bytes: number; total?: number }
  | { phase: 'verify' | 'unpack' | 'prepare' | 'switch' | 'remove'; name: string };

export interface ManagerOptions {
  root: string;
  hooks?: PackageHooks;
  now?: () => Date;
  yes?: boolean;
  info?: (line: string) => void;
  warn?: (line: string) => void;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface InstallOptions {
  reinstall?: boolean;
  /** Take the named packages from this repository, and make it their origin from now on. */
  from?: string;
  /**
   * Asked with the plan, under the package lock, before anything is downloaded: false refuses
   * (`DeclinedError`). The plan shown is the plan carried out: nothing is resolved or read twice.
   */
  confirm?: (changes: PlannedChange[]) => Promise<boolean>;
  /**
   * The changes the admin saw (from `plan`): refused (`plan-changed`) unless the plan made under
   * the lock is the same, e.g. when another install ran in between.
   */
  expected?: PlannedChange[];
}

export interface PlannedChange extends Change {
  repo: string;
  size: number;
}

export interface SearchHit {
  name: string;
  version: string;
  summary: string;
  repo: string;
  installed?: string;
}

/** Limits applied to every package archive. */
const LIMITS = { maxUnpackedBytes: 16 * 1024 ** 3, maxEntries: 200_000 };
const bombLimit = (size: number) => Math.min(LIMITS.maxUnpackedBytes, Math.max(256 * 1024 ** 2, size * 200));

/** Same packages, versions, origins and sizes, in any order. */
const samePlan = (a: PlannedChange[], b: PlannedChange[]): boolean => {
  const key = (c: PlannedChange) => `${c.name} ${c.from ?? ''} ${c.to} ${c.repo} ${c.size}`;
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
};

export const hostArch = (): string =>
  process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;

/**
 * The package manager behind `bpkg`: trusted keys, repositories, and crash-safe transactions
 * over the installed-package database, all under one root directory.
 */
export class PackageManager {
  readonly paths: Layout;
  readonly keyring: Keyring;
  readonly repos: Repositories;
  private readonly tx: Transactions;
  private readonly hooks: PackageHooks;
  private readonly now: () => Date;
  private readonly hookOpts: HookOptions;
  private readonly fetchContext: FetchContext;

  constructor(private readonly opts: ManagerOptions) {
    this.paths = layout(opts.root);
    this.now = opts.now ?? (() => new Date());
    this.hooks = opts.hooks ?? {};
    this.keyring = new Keyring(this.paths.keysDir);
    this.repos = new Repositories(this.paths, this.keyring, this.now);
    this.hookOpts = { yes: opts.yes ?? false, info: opts.info ?? (() => {}), warn: opts.warn ?? (() => {}) };
    this.tx = new Transactions(this.paths, this.hooks, this.hookOpts);
    this.fetchContext = {
      cacheDir: this.paths.pkgCache,
      trusted: () => this.keyring.keys(),
      now: this.now,
      progress: (e) => this.progress(e),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
  }

  private progress(e: ProgressEvent) {
    this.opts.onProgress?.(e);
  }

  /**
   * Refuses a root whose folders lead out of it through symlinks (`ROOT/opt/blueprint -> /srv`):
   * every write, rename and recursive delete below would land there. Judged before anything is
   * written, package folders under opt/blueprint included.
   */
  private async checkRoot(): Promise<void> {
    await assertInsideRoot(this.paths.root, managedDirs(this.paths), { children: [this.paths.optDir] });
  }

  /** Takes the lock, finishes any interrupted transaction, runs `fn`, releases the lock. */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.checkRoot();
    try {
      await ensureDir(this.paths.pkgState);
    } catch (err) {
      throw storageErrorFrom(err, 'preparing the package database');
    }
    const release = await acquireLock(this.paths.lockFile, 'package operation');
    try {
      const outcome = await this.tx.recover();
      await pruneLocalCopies(this.fetchContext);
      if (outcome !== 'none')
        this.hookOpts.info(
          `An interrupted transaction was ${outcome === 'completed' ? 'completed' : 'rolled back'}.`,
        );
      return await fn();
    } finally {
      await release();
    }
  }

  /** Finishes or rolls back an interrupted transaction, if any. */
  async recover(): Promise<RecoveryOutcome> {
    await this.checkRoot();
    await ensureDir(this.paths.pkgState);
    const release = await acquireLock(this.paths.lockFile, 'package operation');
    try {
      const outcome = await this.tx.recover();
      await pruneLocalCopies(this.fetchContext);
      return outcome;
    } finally {
      await release();
    }
  }

  async installed(): Promise<InstalledPackage[]> {
    if (await this.tx.pending()) await this.recover().catch(() => {});
    const db = await loadDatabase(this.paths);
    // Records from before origins were kept show the origin they are upgraded from (see originOf).
    const origins = Object.values(db.packages).some((p) => !p.origin)
      ? await this.origins(db, await this.repos.states())
      : undefined;
    return Object.values(db.packages)
      .map((p) => (p.origin || !origins ? p : { ...p, origin: origins.get(p.name) ?? 'unknown' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Where each installed package is upgraded from; absent when unknown (see `originOf`). */
  private async origins(db: Database, states: RepoState[]): Promise<Map<string, string>> {
    const offers = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
    const keys = new Map(states.map((s) => [s.name, s.keys]));
    const out = new Map<string, string>();
    for (const p of Object.values(db.packages)) {
      const o = originOf(p, offers, (r) => keys.get(r) ?? []);
      if (o) out.set(p.name, o);
    }
    return out;
  }

  async update(): Promise<import('./repos.js').UpdateOutcome[]> {
    await this.checkRoot();
    const repos = await this.repos.list();
    if (repos.length === 0)
      throw new NotFoundError('No repositories configured', 'Add one: bpkg repo add NAME URL');
    const out = [];
    for (const r of repos) out.push(await this.repos.updateOne(r, this.opts.signal));
    return out;
  }

  /** Verified indexes usable now; an expired one is refused for installs (freeze attack). */
  private async usableStates(forInstall: boolean): Promise<RepoState[]> {
    const states = await this.repos.states();
    const usable: RepoState[] = [];
    for (const s of states) {
      const problem = this.repos.stateProblem(s);
      if (problem) {
        this.hookOpts.warn(`${problem.message}; not used. ${problem.hint}`);
        continue;
      }
      if (Date.parse(s.index.expires) <= this.now().getTime()) {
        if (forInstall)
          throw new VerificationError(
            `The index of repository ${s.name} expired on ${s.index.expires}`,
            'index-expired',
            'Run `bpkg update`; if it stays expired the repository is stale or frozen.',
          );
        this.hookOpts.warn(`index of ${s.name} expired on ${s.index.expires}; run \`bpkg update\``);
      }
      usable.push(s);
    }
    return usable;
  }

  private async candidates(forInstall: boolean): Promise<Candidate[]> {
    return (await this.usableStates(forInstall)).flatMap((s) =>
      s.index.packages.map((entry) => ({ entry, repo: s.name })),
    );
  }

  async search(word: string): Promise<SearchHit[]> {
    const w = word.toLowerCase();
    const db = await loadDatabase(this.paths);
    const best = new Map<string, SearchHit>();
    for (const { entry, repo } of await this.candidates(false)) {
      if (!entry.name.includes(w) && !entry.summary.toLowerCase().includes(w)) continue;
      const have = best.get(entry.name);
      if (have && !gt(entry.version, have.version)) continue;
      const installed = db.packages[entry.name]?.version;
      best.set(entry.name, {
        name: entry.name,
        version: entry.version,
        summary: entry.summary,
        repo,
        ...(installed ? { installed } : {}),
      });
    }
    return [...best.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async info(name: string): Promise<{
    name: string;
    installed?: InstalledPackage;
    /** The repository an installed package is upgraded from (see `originOf`). */
    upgradesFrom?: string;
    available: Array<IndexEntry & { repo: string }>;
  }> {
    const db = await loadDatabase(this.paths);
    const available = (await this.candidates(false))
      .filter((c) => c.entry.name === name)
      .map((c) => ({ ...c.entry, repo: c.repo }))
      .sort((a, b) => (gt(a.version, b.version) ? -1 : 1));
    const installed = db.packages[name] && (await this.installed()).find((p) => p.name === name);
    if (!installed && available.length === 0)
      throw new NotFoundError(`No package named ${name}`, 'Run `bpkg update`, then `bpkg search WORD`.');
    const from = installed && installed.origin !== 'unknown' ? installed.origin : undefined;
    return { name, ...(installed ? { installed } : {}), ...(from ? { upgradesFrom: from } : {}), available };
  }

  /** Works out what `install` would do, without changing anything. */
  async plan(specs: string[], opts: InstallOptions = {}): Promise<PlannedChange[]> {
    await this.checkRoot();
    const copies: Array<{ file: string }> = [];
    return (await this.planWithSources(specs, opts, copies).finally(() => this.discardLocals(copies)))
      .changes;
  }

  /** Local `.bpkg` files are read once into private copies in the cache; this removes them. */
  private async discardLocals(locals: Array<{ file: string }>): Promise<void> {
    for (const l of locals) await discardLocalCopy(this.fetchContext, l.file);
  }

  /** `copies` collects the private copies of local `.bpkg` files, for the caller to discard. */
  private async planWithSources(specs: string[], opts: InstallOptions, copies: Array<{ file: string }>) {
    const db = await loadDatabase(this.paths);
    const locals = [];
    for (const s of specs.filter((s) => s.endsWith('.bpkg'))) {
      const local = await readLocalPackage(this.fetchContext, s);
      copies.push(local);
      locals.push(local);
    }
    const requests = specs.filter((s) => !s.endsWith('.bpkg')).map(parseRequest);
    const needIndex = requests.length > 0 || locals.some((l) => l.entry.depends.length > 0);
    const states = needIndex ? await this.usableStates(true) : [];
    const available = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
    const { pins, origins } = await this.pinsFor(db, states, requests, locals.length > 0, opts.from);
    for (const l of locals)
      if (!archMatches(l.entry.arch, hostArch()))
        throw new ConflictError(
          `${l.entry.name} is built for ${l.entry.arch}, this machine is ${hostArch()}`,
          'wrong-arch',
        );
    const chosen = resolve(requests, available, db.packages, hostArch(), locals, pins);
    refuseBreaking(db.packages, chosen);
    // --from switches the origin even to the same version: it is reinstalled from that repository.
    const switching = (c: Candidate) =>
      opts.from !== undefined &&
      requests.some((r) => r.name === c.entry.name) &&
      origins.get(c.entry.name) !== c.repo;
    const changes = chosen
      .filter((c) => opts.reinstall || db.packages[c.entry.name]?.version !== c.entry.version || switching(c))
      .map((c) => ({
        name: c.entry.name,
        ...(db.packages[c.entry.name] ? { from: db.packages[c.entry.name]!.version } : {}),
        to: c.entry.version,
        repo: c.repo,
        size: c.entry.size,
      }));
    return { db, chosen, locals, requests, changes };
  }

  /**
   * Installed packages are pinned to their origin; `from` pins the requested ones to that
   * repository instead (the admin's explicit switch).
   */
  private async pinsFor(
    db: Database,
    states: RepoState[],
    requests: Array<{ name: string }>,
    hasLocals: boolean,
    from: string | undefined,
  ): Promise<{ pins: Pins; origins: Map<string, string> }> {
    const origins = await this.origins(db, states);
    // A package whose origin is unknown is pinned to nothing: only --from can say where it comes from.
    const pins: Pins = Object.fromEntries(Object.keys(db.packages).map((n) => [n, origins.get(n) ?? '']));
    if (from !== undefined) {
      if (hasLocals)
        throw new UsageError('--from applies to packages named from repositories, not to .bpkg files');
      if (!states.some((s) => s.name === from))
        throw new NotFoundError(
          `No usable repository named ${from}`,
          'See `bpkg repo list`; run `bpkg update` if it was never fetched.',
        );
      for (const r of requests) pins[r.name] = from;
    }
    return { pins, origins };
  }

  async install(specs: string[], opts: InstallOptions = {}): Promise<PlannedChange[]> {
    const copies: Array<{ file: string }> = [];
    return this.locked(async () => {
      const { db, chosen, locals, requests, changes } = await this.planWithSources(specs, opts, copies);
      if (opts.expected && !samePlan(opts.expected, changes))
        throw new ConflictError(
          'The packages to install changed since the plan was shown',
          'plan-changed',
          'Look at the new plan and confirm again.',
        );
      if (changes.length === 0) return [];
      if (opts.confirm && !(await opts.confirm(changes))) throw new DeclinedError('install');
      const states = new Map((await this.repos.states()).map((s) => [s.name, s]));
      const todo = chosen.filter((c) => changes.some((ch) => ch.name === c.entry.name));
      // 1. Download everything and start checking each package's signature. The checks run while
      //    the packages unpack into staging, so reads and gunzip overlap; each must pass before its
      //    package is moved into place, prepared (image loaded) or committed.
      const files = new Map<string, { file: string; signer: Promise<string> }>();
      for (const c of todo) {
        const local = locals.find((l) => l.entry.name === c.entry.name);
        if (local) {
          files.set(c.entry.name, { file: local.file, signer: Promise.resolve(local.signer) });
          continue;
        }
        const state = states.get(c.repo)!;
        const file = await fetchPackage(this.fetchContext, c, state);
        // Like its index, a package must be signed by one of its own repository's keys.
        const signer = checkPackageSignature(this.fetchContext, c, state, file).then((s) =>
          this.repos.requireOwnSigner(state, s, packageFileName(c.entry)),
        );
        signer.catch(() => {}); // awaited in stage(); this only keeps an early failure from going unhandled
        files.set(c.entry.name, { file, signer });
      }
      const requested = new Set([...requests.map((r) => r.name), ...locals.map((l) => l.entry.name)]);
      const next: Database = structuredClone(db);
      for (const c of todo) {
        const prev = db.packages[c.entry.name];
        next.packages[c.entry.name] = {
          name: c.entry.name,
          version: c.entry.version,
          arch: c.entry.arch,
          summary: c.entry.summary,
          depends: c.entry.depends,
          origin: c.repo,
          signer: '', // set once the package's signature check passes, before the commit
          installed: this.now().toISOString(),
          ...(prev && prev.version !== c.entry.version
            ? { previous: prev.version }
            : prev?.previous
              ? { previous: prev.previous }
              : {}),
          ...((prev ? prev.auto : !requested.has(c.entry.name)) ? { auto: true } : {}),
        };
      }
      // 2. Unpack, then commit atomically.
      await this.tx.run('install', changes, next, async () => {
        let i = 0;
        for (const c of todo) {
          const { file, signer } = files.get(c.entry.name)!;
          await this.stage(c.entry, file, db, i++, signer);
          next.packages[c.entry.name]!.signer = await signer;
        }
      });
      return changes;
    }).finally(() => this.discardLocals(copies));
  }

  /**
   * Unpacks one package into NAME/VERSION through a staging directory and records its files.
   * Nothing leaves staging until `signed` (the package's signature check) has passed.
   */
  private async stage(
    entry: IndexEntry,
    file: string,
    db: Database,
    n: number,
    signed: Promise<string>,
  ): Promise<void> {
    const target = versionDir(this.paths, entry.name, entry.version);
    const kept = db.packages[entry.name];
    if (await exists(target)) {
      if (kept?.previous === entry.version || kept?.version === entry.version) {
        const report = await this.verifyVersion(entry.name, entry.version);
        if (report.ok) return; // Re-activating a kept version: its files are still as recorded.
      }
      await rm(target, { recursive: true, force: true });
    }
    const staging = path.join(stagingRoot(this.paths), `${n}-${entry.name}`);
    await rm(staging, { recursive: true, force: true });
    this.progress({ phase: 'unpack', name: entry.name });
    let out: Extracted;
    try {
      out = await extractPackage(
        file,
        staging,
        { ...LIMITS, maxUnpackedBytes: bombLimit(entry.size) },
        this.opts.signal,
      ).catch((err) => {
        throw storageErrorFrom(err, `unpacking ${entry.name}`);
      });
      if (out.archiveSize !== entry.size || out.archiveSha256 !== entry.sha256)
        throw new VerificationError(
          `${packageFileName(entry)}: ${out.archiveSize} bytes with SHA-256 ${out.archiveSha256}, the signed index says ${entry.size} bytes, ${entry.sha256}`,
          out.archiveSize !== entry.size ? 'size-mismatch' : 'hash-mismatch',
          'The file changed or the mirror is out of date; nothing was installed.',
        );
    } catch (err) {
      await signed; // a bad signature is the better answer for a tampered package: it wins
      throw err;
    }
    await signed;
    const manifest = parseManifest(
      parseJsonBytes(out.manifestBytes, `${entry.name} manifest.json`, 'bad-manifest'),
    );
    for (const field of ['name', 'version', 'arch'] as const)
      if (manifest[field] !== entry[field])
        throw new VerificationError(
          `${entry.name}: manifest ${field} "${manifest[field]}" does not match the index ("${entry[field]}")`,
          'manifest-mismatch',
          'The repository or package is inconsistent; nothing was installed.',
        );
    if (!sameDepends(manifest.depends, entry.depends))
      throw new VerificationError(
        `${entry.name}: manifest depends [${manifest.depends.join(', ')}] does not match the index ([${entry.depends.join(', ')}])`,
        'manifest-mismatch',
        'The index entry must list the same depends as the manifest; nothing was installed. Publishers: copy depends from manifest.json into index.json.',
      );
    this.hooks.validateManifest?.(manifest);
    checkDeclaredHashes(manifest, out.files);
    await ensureDir(path.dirname(target));
    await ensureDir(path.join(staging, 'payload'));
    try {
      await rename(path.join(staging, 'payload'), target);
    } catch (err) {
      throw storageErrorFrom(err, `installing ${entry.name}`);
    }
    await saveFileList(this.paths, { name: entry.name, version: entry.version, manifest, files: out.files });
    this.progress({ phase: 'prepare', name: entry.name });
    await this.hooks.prepare?.(
      { name: entry.name, version: entry.version, manifest, prefix: target },
      this.hookOpts,
    );
  }

  async remove(names: string[], opts: { force?: boolean } = {}): Promise<Change[]> {
    return this.locked(async () => {
      const db = await loadDatabase(this.paths);
      for (const n of names)
        if (!db.packages[n]) throw new NotFoundError(`${n} is not installed`, 'See `bpkg list`.');
      const leaving = new Set(names);
      if (!opts.force)
        for (const n of names) {
          const deps = dependentsOf(n, db.packages, leaving);
          if (deps.length)
            throw new ConflictError(
              `${n} is needed by ${deps.join(', ')}`,
              'has-dependents',
              `Remove ${deps.join(', ')} too, or pass --force to break them.`,
            );
        }
      const next = structuredClone(db);
      const changes = names.map((n) => ({ name: n, from: db.packages[n]!.version }));
      for (const n of names) delete next.packages[n];
      await this.tx.run('remove', changes, next, async () => {});
      return changes;
    });
  }

  /**
   * Newer versions of installed packages, each from the repository it came from only (its origin):
   * a newer version elsewhere is not an upgrade. Local-file installs and unknown origins are skipped.
   * The versions keep every installed dependent's constraints (see `planUpgrade`): what a dependent
   * refuses is held back (`held`), or goes forward with the dependent's own upgrade.
   */
  async upgradePlan(): Promise<{
    ups: Array<{ name: string; from: string; to: string; repo: string }>;
    held: Array<HeldBack & { from: string }>;
  }> {
    const db = await loadDatabase(this.paths);
    const states = await this.usableStates(false);
    const available = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
    const origins = await this.origins(db, states);
    const offers: Record<string, Versioned[]> = {};
    for (const p of Object.values(db.packages)) {
      const origin = origins.get(p.name);
      if (origin === 'file') continue;
      if (origin === undefined) {
        this.hookOpts.warn(
          `${p.name}: no repository offers its installed version ${p.version}, so where it upgrades from is unknown; choose: bpkg install ${p.name} --from REPO`,
        );
        continue;
      }
      offers[p.name] = available
        .filter((c) => c.repo === origin && c.entry.name === p.name && archMatches(c.entry.arch, hostArch()))
        .map((c) => c.entry);
    }
    const { targets, held } = planUpgrade(db.packages, offers);
    const ups = Object.values(db.packages)
      .filter((p) => gt(targets[p.name]!.version, p.version))
      .map((p) => ({
        name: p.name,
        from: p.version,
        to: targets[p.name]!.version,
        repo: origins.get(p.name)!,
      }));
    return { ups, held: held.map((h) => ({ ...h, from: db.packages[h.name]!.version })) };
  }

  async upgradable(): Promise<Array<{ name: string; from: string; to: string; repo: string }>> {
    return (await this.upgradePlan()).ups;
  }

  /** `confirm`: asked with the upgrade's plan before anything is downloaded (see `InstallOptions`). */
  async upgrade(opts: Pick<InstallOptions, 'confirm'> = {}): Promise<PlannedChange[]> {
    const { ups, held } = await this.upgradePlan();
    for (const h of held)
      this.hookOpts.warn(
        `${h.name} ${h.newest} held back (${h.to === h.from ? `stays at ${h.from}` : `upgraded to ${h.to} only`}): ${describeConstraint(h.because)}`,
      );
    if (ups.length === 0) return [];
    return this.install(
      ups.map((u) => `${u.name}@${u.to}`),
      opts.confirm ? { confirm: opts.confirm } : {},
    );
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
    return this.locked(async () => {
      const db = await loadDatabase(this.paths);
      const next = structuredClone(db);
      const changes: Change[] = [];
      for (const name of new Set(names)) {
        const p = db.packages[name];
        if (!p) throw new NotFoundError(`${name} is not installed`, 'See `bpkg list`.');
        if (!p.previous)
          throw new NotFoundError(
            `${name} has no previous version to roll back to`,
            'Only upgraded packages can roll back.',
            'no-previous',
          );
        const report = await this.verifyVersion(name, p.previous);
        if (!report.ok)
          throw new VerificationError(
            `The kept version ${p.previous} of ${name} is damaged`,
            'damaged',
            `Reinstall it: bpkg install ${name}@${p.previous}`,
          );
        next.packages[name] = {
          ...p,
          version: p.previous,
          previous: p.version,
          installed: this.now().toISOString(),
        };
        const list = await loadFileList(this.paths, name, p.previous);
        if (list)
          Object.assign(next.packages[name]!, {
            summary: list.manifest.summary,
            depends: list.manifest.depends,
          });
        changes.push({ name, from: p.version, to: p.previous });
      }
      const broken = newlyBroken(db.packages, next.packages);
      if (broken.length) {
        const together = [...new Set([...names, ...broken.flatMap((b) => [b.dependent, b.name])])];
        throw new ConflictError(
          `Rolling back ${names.join(', ')} would break what installed packages need: ${broken.map((b) => describeConstraint(b)).join('; ')}`,
          'dependency-conflict',
          together.every((n) => db.packages[n]?.previous)
            ? `Roll them back together: bpkg rollback ${together.join(' ')}`
            : `Upgrade or remove ${[...new Set(broken.map((b) => b.dependent))].join(', ')} first.`,
        );
      }
      await this.tx.run('rollback', changes, next, async () => {});
      return changes;
    });
  }

  private async verifyVersion(name: string, version: string): Promise<VerifyReport> {
    const list = await loadFileList(this.paths, name, version);
    const base = versionDir(this.paths, name, version);
    const problems: VerifyProblem[] = [];
    if (!list) return { name, version, ok: false, problems: [{ path: '(file list)', problem: 'missing' }] };
    for (const f of list.files) problems.push(...(await checkFile(base, f)));
    return { name, version, ok: problems.length === 0, problems };
  }

  /** Checks installed files against the hashes recorded at install, like debsums. */
  async verify(name?: string): Promise<VerifyReport[]> {
    const pkgs = await this.installed();
    const chosen = name ? pkgs.filter((p) => p.name === name) : pkgs;
    if (name && chosen.length === 0) throw new NotFoundError(`${name} is not installed`, 'See `bpkg list`.');
    const out = [];
    const broken = brokenConstraints(Object.fromEntries(pkgs.map((p) => [p.name, p])));
    for (const p of chosen) {
      const r = await this.verifyVersion(p.name, p.version);
      const link = await readlink(currentLink(this.paths, p.name)).catch(() => undefined);
      if (link !== p.version) r.problems.push({ path: `${p.name}/current`, problem: 'not-current' });
      for (const b of broken.filter((b) => b.dependent === p.name))
        r.problems.push({ path: b.dependency, problem: 'unsatisfied-dependency' });
      out.push({ ...r, ok: r.problems.length === 0 });
    }
    return out;
  }
}
