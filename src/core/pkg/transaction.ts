import { randomUUID } from 'node:crypto';
import { readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { readKeptObject } from '../system/damaged-file.js';
import { removeIfExists, syncDir, writeJsonAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { type Database, fileListPath, packageNamed, saveDatabase } from './db.js';
import type { HookOptions, PackageHooks } from './hooks.js';
import { readFileList, readInstalled } from './installed-db.js';
import { pruneDeadCopies } from './private-copy.js';

export interface Change {
  name: string;
  /** Version current before the transaction (absent for a fresh install). */
  from?: string;
  /** Version current after it (absent for a removal). */
  to?: string;
}

/** A change as run() writes it: a package's name, each version present a version's folder name. */
function journalChange(c: unknown): boolean {
  if (typeof c !== 'object' || c === null) return false;
  const { name, from, to } = c as Record<string, unknown>;
  return packageNamed(name, from, to);
}

export interface Journal {
  txid: string;
  op: string;
  started: string;
  changes: Change[];
}

export type RecoveryOutcome = 'none' | 'completed' | 'rolled-back';

/**
 * Test hook for crash-safety tests: `BLUEPRINT_FAULT_INJECT=<point>` makes the process SIGKILL
 * itself at that point of a transaction, exactly like a power cut or `kill -9` there;
 * `sigint:<point>` sends it a SIGINT there instead, as a Ctrl-C at that moment.
 */
export function faultPoint(point: string): void {
  const inject = process.env.BLUEPRINT_FAULT_INJECT;
  if (inject === point) process.kill(process.pid, 'SIGKILL');
  else if (inject === `sigint:${point}`) process.kill(process.pid, 'SIGINT');
}

export const versionDir = (paths: Layout, name: string, version: string) =>
  path.join(paths.optDir, name, version);
export const currentLink = (paths: Layout, name: string) => path.join(paths.optDir, name, 'current');
export const stagingRoot = (paths: Layout) => path.join(paths.optDir, '.staging');

/** writeFileAtomic's temporary names (`.NAME.PID.STAMP.tmp`) and switchCurrent's: the PID first. */
const ATOMIC_TEMP = /^\..+\.([0-9]+)\.[0-9a-z]+\.tmp$/;
const CURRENT_TEMP = /^current\.([0-9]+)\.tmp$/;

/** Points NAME/current at `version` (or removes it) with one atomic rename. */
async function switchCurrent(paths: Layout, name: string, version: string | undefined): Promise<void> {
  const link = currentLink(paths, name);
  if (!version) {
    await removeIfExists(link);
    return;
  }
  const existing = await readlink(link).catch(() => undefined);
  if (existing === version) return;
  const tmp = `${link}.${process.pid}.tmp`;
  await removeIfExists(tmp);
  await symlink(version, tmp);
  await rename(tmp, link);
  await syncDir(path.dirname(link));
}

/**
 * Runs package transactions. The database write is the single commit point: before it, recovery
 * rolls back (deletes what was staged); after it, recovery rolls forward (switches `current` links
 * and prunes old versions). So after a crash at any point the state is the old one or the new one.
 */
export class Transactions {
  constructor(
    private readonly paths: Layout,
    private readonly hooks: PackageHooks,
    private readonly hookOpts: HookOptions,
  ) {}

  /**
   * The journal of an interrupted transaction. One that is not what run() wrote (a disk fault, an
   * edit) is damagedFile: what it changed is unknown, so neither way of recovering is safe. Each
   * change's name and versions must be a package's: recovery joins them to opt/blueprint and
   * deletes what they name, so `../..` in a version had a folder outside the root deleted.
   */
  async pending(): Promise<Journal | undefined> {
    return readKeptObject<Journal>(
      this.paths.journal,
      (o) => typeof o.txid === 'string' && Array.isArray(o.changes) && o.changes.every(journalChange),
      'It records a package operation that was interrupted. Move it aside, then run `bpkg verify`: install again each package it names (`bpkg install NAME --reinstall`).',
    );
  }

  /** Finishes or undoes an interrupted transaction; call with the package lock held. */
  async recover(): Promise<RecoveryOutcome> {
    const journal = await this.pending();
    await rm(stagingRoot(this.paths), { recursive: true, force: true });
    // A process killed between writing a file and renaming it into place (the journal, the
    // database, a file list, a `current` link) left its temporary file; nothing would rename it now.
    await pruneDeadCopies(this.paths.pkgState, ATOMIC_TEMP);
    await pruneDeadCopies(this.paths.filesDir, ATOMIC_TEMP);
    for (const c of journal?.changes ?? [])
      await pruneDeadCopies(path.dirname(currentLink(this.paths, c.name)), CURRENT_TEMP);
    if (!journal) return 'none';
    const db = await readInstalled(this.paths);
    if (db.txid === journal.txid) {
      await this.finish(journal, db);
      return 'completed';
    }
    for (const c of journal.changes) {
      const entry = db.packages[c.name];
      const kept = new Set([entry?.version, entry?.previous].filter(Boolean));
      if (c.to && !kept.has(c.to)) await this.discardVersion(c.name, c.to);
      await switchCurrent(this.paths, c.name, entry?.version);
      if (!entry) await this.pruneEmpty(c.name);
    }
    await removeIfExists(this.paths.journal);
    return 'rolled-back';
  }

  /**
   * One transaction: journal, `stage` (unpack and prepare new versions; may throw), commit `next`,
   * then switch and prune. If `stage` throws, what it staged is removed and the state is unchanged.
   */
  async run(op: string, changes: Change[], next: Database, stage: () => Promise<void>): Promise<void> {
    const journal: Journal = { txid: randomUUID(), op, started: new Date().toISOString(), changes };
    await writeJsonAtomic(this.paths.journal, journal);
    faultPoint('journaled');
    try {
      await stage();
    } catch (err) {
      await this.recover().catch(() => {});
      throw err;
    }
    faultPoint('staged');
    await saveDatabase(this.paths, { ...next, txid: journal.txid });
    faultPoint('committed');
    await this.finish(journal, next);
  }

  private async finish(journal: Journal, db: Database): Promise<void> {
    for (const c of journal.changes) {
      const entry = db.packages[c.name];
      await switchCurrent(this.paths, c.name, entry?.version);
      faultPoint('switched');
      const keep = new Set([entry?.version, entry?.previous].filter((v): v is string => Boolean(v)));
      for (const v of await this.versionsOnDisk(c.name))
        if (!keep.has(v)) await this.discardVersion(c.name, v);
      if (!entry) await this.pruneEmpty(c.name);
    }
    await rm(stagingRoot(this.paths), { recursive: true, force: true });
    await removeIfExists(this.paths.journal);
  }

  private async versionsOnDisk(name: string): Promise<string[]> {
    try {
      return (await readdir(path.join(this.paths.optDir, name))).filter(
        (f) => f !== 'current' && !f.startsWith('.'),
      );
    } catch {
      return [];
    }
  }

  /** Deletes one unpacked version and its records, letting hooks clean up (images, containers). */
  private async discardVersion(name: string, version: string): Promise<void> {
    // Deleted with the version: a damaged one only skips the hooks' clean-up, said as theirs is.
    const list = await readFileList(this.paths, name, version).catch((err: Error) => {
      this.hookOpts.warn(`cleaning up ${name} ${version}: ${err.message}`);
      return undefined;
    });
    const prefix = versionDir(this.paths, name, version);
    if (list && this.hooks.afterRemove)
      await this.hooks
        .afterRemove({ name, version, manifest: list.manifest, prefix }, this.hookOpts)
        .catch((err: Error) => this.hookOpts.warn(`cleaning up ${name} ${version}: ${err.message}`));
    await rm(prefix, { recursive: true, force: true });
    await rm(fileListPath(this.paths, name, version), { force: true });
  }

  private async pruneEmpty(name: string): Promise<void> {
    const dir = path.join(this.paths.optDir, name);
    const left = await readdir(dir).catch(() => undefined);
    if (left && left.length === 0) await rm(dir, { recursive: true, force: true });
  }
}
