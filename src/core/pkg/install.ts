/** Planning an install and carrying it out: resolve, each package staged (stage-package.ts), commit. */
import path from 'node:path';
import { lt } from 'semver';
import { ConflictError, DeclinedError, NotFoundError } from '../errors.js';
import { hostArch } from '../version.js';
import { refuseBreaking } from './constraints.js';
import { type Database, saveDatabase } from './db.js';
import { discardLocalCopy, type FetchContext, folderNamed, readLocalPackage } from './fetch.js';
import { parseDependency } from './format-checks.js';
import { readInstalled } from './installed-db.js';
import { isPackagePath } from './package-spec.js';
import type { ManagerParts } from './parts.js';
import { pinsFor } from './pins.js';
import { archMatches, type Candidate, parseRequest, resolve } from './resolve.js';
import { keptFrom } from './signer-revoked.js';
import { type Source, stage } from './stage-package.js';
import { noRepositoryHint, usableStates } from './states.js';
import type { Change } from './transaction.js';

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
  /**
   * The specs were typed in a shell (`bpkg install`): one holding a '/' is a package file's path as
   * well as one ending in .bpkg, and a name that is nothing offered or installed but a folder in the
   * working folder meant that folder (bad usage, naming the file in it). A dashboard's or a setup
   * file's names are names.
   */
  typed?: boolean;
  /**
   * `bpkg upgrade`'s install: the specs name each upgrade, not the admin's choice, so every package
   * keeps how it came (a dependency stays one, for autoremove; apt's upgrade keeps the mark too).
   */
  upgrade?: boolean;
  /** Told, once done, the dependencies named that it marked as the admin's (a plan: would mark); none: not called. */
  kept?: (kept: KeptPackage[]) => void;
}

/** A package named that came in as a dependency: marked as installed by the admin, at `version`. */
export interface KeptPackage {
  name: string;
  version: string;
}

export interface PlannedChange extends Change {
  repo: string;
  size: number;
  /** `to` is older than the installed `from` (`bpkg install NAME@OLDER`, or a dependency sent back). */
  downgrade?: true;
  /**
   * Not asked for by name: the packages of the plan that depend on it (apt's "additional packages").
   * Said before the yes and after, so a library is not taken for what the admin asked for.
   */
  dependencyOf?: string[];
  /** A package file given (`bpkg install ./x.bpkg`), absolute; `repo` is then `file`. */
  file?: string;
}

/** Same packages, versions, origins and sizes, in any order. */
const samePlan = (a: PlannedChange[], b: PlannedChange[]): boolean => {
  const key = (c: PlannedChange) => `${c.name} ${c.from ?? ''} ${c.to} ${c.repo} ${c.size}`;
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
};

// Where the CLI's `version` finds it without loading the package manager.
export { hostArch };

/**
 * `readLocal` reads each local `.bpkg` file given: the install's readLocalPackage, whose private
 * copies the caller collects to discard, or a plan's inspectLocalPackage (local-read-once.ts), which
 * makes none.
 */
export async function planWithSources<L extends Candidate & { signer: string }>(
  p: ManagerParts,
  specs: string[],
  opts: InstallOptions,
  readLocal: (ctx: FetchContext, file: string) => Promise<L>,
) {
  const db = await readInstalled(p.paths);
  const locals: Array<L & { typed: string }> = [];
  const isPath = (s: string) => s.endsWith('.bpkg') || (opts.typed === true && isPackagePath(s));
  const paths = new Map<string, string>();
  for (const s of specs.filter(isPath)) {
    const local = await readLocal(p.fetchContext, s);
    locals.push({ ...local, typed: s });
    paths.set(local.entry.name, path.resolve(s));
  }
  const requests = specs.filter((s) => !isPath(s)).map(parseRequest);
  const needIndex = requests.length > 0 || locals.some((l) => l.entry.depends.length > 0);
  const states = needIndex ? await usableStates(p, true) : [];
  const available = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
  // A name that is nothing offered or installed but a folder here meant the folder.
  for (const r of opts.typed ? requests : [])
    if (!r.version && !db.packages[r.name] && !available.some((a) => a.entry.name === r.name)) {
      const folder = await folderNamed(r.name, p.fetchContext.trusted);
      if (folder) throw folder;
    }
  // A fresh box: the hint says to add a repository (update would only say there is none).
  const unoffered = available.length
    ? undefined
    : requests.find((r) => !locals.some((l) => l.entry.name === r.name));
  const fresh = unoffered && (await noRepositoryHint(p));
  if (fresh) throw new NotFoundError(`No package ${unoffered.name} in the verified indexes`, fresh);
  const { pins, origins } = pinsFor(db, states, requests, locals.length > 0, opts.from);
  for (const l of locals)
    if (!archMatches(l.entry.arch, hostArch()))
      throw new ConflictError(
        `${l.entry.name} is built for ${l.entry.arch}, this machine is ${hostArch()}`,
        'wrong-arch',
        `Use the ${l.entry.name} package built for ${hostArch()} (or for all); \`bpkg info ${l.entry.name}\` shows what the repositories offer. Nothing was installed.`,
      );
  const chosen = resolve(requests, available, db.packages, hostArch(), locals, pins);
  refuseBreaking(db.packages, chosen);
  // --from switches the origin even to the same version: it is reinstalled from that repository.
  const switching = (c: Candidate) =>
    opts.from !== undefined &&
    requests.some((r) => r.name === c.entry.name) &&
    origins.get(c.entry.name) !== c.repo;
  const named = new Set([...requests.map((r) => r.name), ...locals.map((l) => l.entry.name)]);
  // Only for packages not named: the plan's packages that depend on it.
  const dependentsOf = (name: string) =>
    named.has(name)
      ? []
      : chosen
          .filter((c) => c.entry.depends.some((d) => parseDependency(d).name === name))
          .map((c) => c.entry.name);
  const changes = chosen
    .filter((c) => opts.reinstall || db.packages[c.entry.name]?.version !== c.entry.version || switching(c))
    .map((c) => {
      const from = db.packages[c.entry.name]?.version;
      const dependencyOf = dependentsOf(c.entry.name);
      return {
        name: c.entry.name,
        ...(from !== undefined ? { from } : {}),
        to: c.entry.version,
        repo: c.repo,
        size: c.entry.size,
        // Going back a version is said before the yes and after, as apt's "DOWNGRADED" is.
        ...(from !== undefined && lt(c.entry.version, from) ? { downgrade: true as const } : {}),
        ...(dependencyOf.length ? { dependencyOf } : {}),
        ...(paths.has(c.entry.name) ? { file: paths.get(c.entry.name)! } : {}),
      };
    });
  // Asked for by name: the admin's from now on, never removed as unneeded (apt's "set to manually
  // installed"), whether or not anything else changes. Not an upgrade's names (`upgrade`).
  const asked = opts.upgrade ? new Set<string>() : named;
  const kept: KeptPackage[] = [...asked]
    .filter((n) => db.packages[n]?.auto)
    .map((n) => ({ name: n, version: changes.find((c) => c.name === n)?.to ?? db.packages[n]!.version }));
  return { db, chosen, locals, changes, asked, kept };
}

/** Local `.bpkg` files are read once into private copies in the cache; this removes them. */
export async function discardLocals(p: ManagerParts, locals: Array<{ file: string }>): Promise<void> {
  for (const l of locals) await discardLocalCopy(p.fetchContext, l.file);
}

/** The plan carried out (`expected`) is no longer the plan: the admin looks again. */
export const planChanged = (upgrade: boolean): ConflictError =>
  new ConflictError(
    `The packages to ${upgrade ? 'upgrade' : 'install'} changed since the plan was shown`,
    'plan-changed',
    'Look at the new plan and confirm again.',
  );

/**
 * Install under the lock: plan, check it against what was shown (`expected`) or ask (`confirm`),
 * then carry out that same plan. `copies` collects local packages' private copies to discard.
 */
export async function installLocked(
  p: ManagerParts,
  specs: string[],
  opts: InstallOptions,
  copies: Array<{ file: string }>,
): Promise<PlannedChange[]> {
  const { db, chosen, locals, asked, kept, changes } = await planWithSources(
    p,
    specs,
    opts,
    async (ctx, file) => {
      const local = await readLocalPackage(ctx, file);
      copies.push(local);
      return local;
    },
  );
  if (opts.expected && !samePlan(opts.expected, changes)) throw planChanged(opts.upgrade === true);
  const told = () => {
    if (kept.length) opts.kept?.(kept);
  };
  if (changes.length === 0) {
    if (kept.length) {
      const next: Database = structuredClone(db);
      for (const k of kept) delete next.packages[k.name]!.auto;
      await saveDatabase(p.paths, next);
    }
    told();
    return [];
  }
  if (opts.confirm && !(await opts.confirm(changes))) throw new DeclinedError('install');
  const states = new Map((await p.repos.states()).map((s) => [s.name, s]));
  const todo = chosen.filter((c) => changes.some((ch) => ch.name === c.entry.name));
  // 1. Where each package comes from. A repository's is fetched, checked and unpacked in one pass
  //    in step 2, under the journal; a local file was read and checked when planned.
  const sources = new Map<string, Source>();
  for (const c of todo) {
    const local = locals.find((l) => l.entry.name === c.entry.name);
    sources.set(
      c.entry.name,
      local
        ? { file: local.file, signer: local.signer, signingKey: local.signingKey, signature: local.signature }
        : { state: states.get(c.repo)! },
    );
  }
  const next: Database = structuredClone(db);
  for (const k of kept) delete next.packages[k.name]!.auto;
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
      installed: p.now().toISOString(),
      ...(prev && prev.version !== c.entry.version
        ? { previous: prev.version, previousFrom: keptFrom(prev) }
        : prev?.previous
          ? { previous: prev.previous, ...(prev.previousFrom && { previousFrom: prev.previousFrom }) }
          : {}),
      ...(!asked.has(c.entry.name) && (prev ? prev.auto : true) ? { auto: true } : {}),
    };
  }
  // 2. Unpack, then commit atomically.
  await p.tx.run('install', changes, next, async () => {
    let i = 0;
    for (const c of todo) {
      Object.assign(next.packages[c.entry.name]!, await stage(p, c, sources.get(c.entry.name)!, db, i++));
    }
  });
  told();
  return changes;
}
