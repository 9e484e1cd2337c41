/**
 * Whom a module's kept data folder belongs to. `bpkg remove` keeps the folder so a reinstall finds
 * it (module-data.ts); trust is scoped, so it belongs to where the module came from: the package's
 * origin repository and the fingerprint of the key that signed it, as the installed database has
 * them. That is recorded beside the folder, in modules/.owners/NAME.json — outside every module's
 * folder, since the module writes its own folder and must not rewrite whom it belongs to (`.owners`
 * is no package name: a name starts with a letter or digit). A package of that name from elsewhere
 * is refused the folder at start (`claimModuleData`) rather than handed it. Its start and its plain
 * `bpkg remove` also record there whether the module takes consumers' purges (`consumerPurge`): its
 * kept data is then still asked when a consumer is purged (consumer-purge.ts), however its removal
 * ended (one finished by recovery runs nothing of `bpkg remove` after its commit).
 *
 * On the start path (issue 20): a few small local files, read and written synchronously, with no
 * node:fs/promises (test/services/start-modules.test.ts).
 */

import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, StorageError, UsageError } from '../errors.js';
import { showFingerprint } from '../pkg/fingerprint-text.js';
import { writeJsonAtomicSync } from '../system/fs.js';
import { oneLine } from '../system/one-line.js';
import { layout } from '../system/paths.js';
import { ensureDirSync } from './fs-cb.js';
import type { ServiceSpec } from './schema.js';

const NAME = /^[a-z0-9][a-z0-9.+-]*$/;
/** A repository name (repo-config.ts checkRepoNames); anything else names no configuration. */
const REPO_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Whether a module's manifest takes consumers' purges (`socket.consumerPurge`, with what it needs). */
export const takesPurges = (s: ServiceSpec) => !!(s.socket?.consumerPurge && s.socket.clientTokens && s.data);

/** ROOT/var/lib/blueprint/modules/NAME. */
export function moduleDataPath(root: string, name: string): string {
  // A package name never holds a slash or "..": checked again so no caller can aim elsewhere.
  if (!NAME.test(name)) throw new UsageError(`${name}: not a package name`, 'See `bpkg list`.');
  return path.join(layout(root).modulesData, name);
}

/** The folder of the records of whom each kept folder belongs to. */
export const ownersDir = (root: string) => path.join(layout(root).modulesData, '.owners');

/** Where whom the folder belongs to is recorded. */
export const ownerFile = (root: string, name: string) =>
  path.join(ownersDir(root), `${path.basename(moduleDataPath(root, name))}.json`);

/** Whom a data folder belongs to: the package's origin repository (or `file`) and its signer. */
export interface DataOwner {
  origin: string;
  signer: string;
}

function readJsonSync(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // absent, or not what blueprint wrote: no record
  }
}

/**
 * A record blueprint keeps, as JSON: undefined when there is none (or it cannot be read), a
 * damaged-file error (damaged-file.ts's words, made here: this is a synchronous start-path module)
 * when it is not JSON. Taken as none, a damaged owner record let the folder be bound to whichever
 * package of the name started next (test/security/module-data-owner).
 */
function readKeptSync(file: string, hint: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw damaged(file, (err as Error).message, hint);
  }
}

const damaged = (file: string, why: string, hint: string) =>
  new StorageError(`${file} is damaged: ${oneLine(why)}`, 'damaged-file', hint);

const ownerHint = (name: string) =>
  `It records where ${name}'s kept data came from. Restore it from a backup; if the data is the installed ${name}'s, delete the record and start ${name} again; to delete the data: \`bpkg remove ${name} --purge\`.`;

function asOwner(v: unknown): DataOwner | undefined {
  const r = v as Partial<DataOwner> | undefined;
  return typeof r?.origin === 'string' && typeof r.signer === 'string'
    ? { origin: r.origin, signer: r.signer.toLowerCase() }
    : undefined;
}

/** Whom the kept folder belongs to; undefined when no record; damaged-file when it is not one. */
export function readOwner(root: string, name: string): DataOwner | undefined {
  return readOwnerRecord(root, name)?.owner;
}

/** The record whole: the owner and whether the module took consumers' purges (one read). */
function readOwnerRecord(
  root: string,
  name: string,
): { owner: DataOwner; consumerPurge: boolean } | undefined {
  const file = ownerFile(root, name);
  const v = readKeptSync(file, ownerHint(name));
  if (v === undefined) return undefined;
  const owner = asOwner(v);
  if (!owner) throw damaged(file, 'not a record of an origin and a key', ownerHint(name));
  return { owner, consumerPurge: (v as { consumerPurge?: unknown }).consumerPurge === true };
}

/** `consumerPurge`: the module removed took consumers' purges (bpkg remove records it). */
export function writeOwner(
  root: string,
  name: string,
  owner: DataOwner,
  opts: { consumerPurge?: boolean } = {},
): void {
  const file = ownerFile(root, name);
  ensureDirSync(path.dirname(file), 0o755);
  writeJsonAtomicSync(file, {
    origin: owner.origin,
    signer: owner.signer.toLowerCase(),
    ...(opts.consumerPurge ? { consumerPurge: true } : {}),
  });
}

/**
 * Whether the kept folder's module took consumers' purges, as its removal recorded; false when no
 * record says so (none, damaged, or written before this was recorded).
 */
export function keptTakesPurges(root: string, name: string): boolean {
  const v = readJsonSync(ownerFile(root, name)) as { consumerPurge?: unknown } | undefined;
  return asOwner(v) !== undefined && v?.consumerPurge === true;
}

/** The installed package's origin and signer, or undefined when the package manager lists none. */
export function installedOwner(root: string, name: string): DataOwner | undefined {
  const file = layout(root).installedDb;
  const hint =
    'It is the record of the installed packages. Restore it from a backup; or move it aside, then install each package again (`bpkg install NAME`).';
  const db = readKeptSync(file, hint) as { packages?: unknown } | null | undefined;
  if (db === undefined || db === null) return undefined;
  if (typeof db.packages !== 'object' || !db.packages || Array.isArray(db.packages))
    throw damaged(file, 'not a package database', hint);
  return asOwner((db.packages as Record<string, unknown>)[name]);
}

const isRepository = (origin: string) => REPO_NAME.test(origin) && origin !== 'file' && origin !== 'local';

/**
 * The same owner: the same origin, signed by the same key, or by another key of that same
 * repository after a rotation it announced (repo-trust.ts acceptRotation binds the new key to the
 * repository beside the old one): the data stays while the repository is bound to both keys.
 * Packages installed from files have no repository to vouch for another key: only their own.
 */
function sameOwner(root: string, kept: DataOwner, now: DataOwner): boolean {
  if (kept.origin !== now.origin) return false;
  // Recorded from a database entry with no signer (none is written so now): the origin is all it says.
  if (kept.signer === now.signer || kept.signer === '') return true;
  if (!isRepository(now.origin)) return false;
  const config = readJsonSync(path.join(layout(root).reposDir, `${now.origin}.json`)) as
    | { keys?: unknown }
    | undefined;
  const keys = Array.isArray(config?.keys) ? config.keys.map((k) => String(k).toLowerCase()) : [];
  return keys.includes(kept.signer) && keys.includes(now.signer);
}

/** Whom an origin names, in the words of the refusal: a repository, or a package file. */
export const fromWhere = (o: DataOwner) =>
  `${isRepository(o.origin) ? `repository ${o.origin}` : `a package file (${o.origin})`}, key ${showFingerprint(o.signer) || 'unknown'}`;

/** A kept folder that is not the installed package's: where it is, whose it is, whose the package is. */
export interface DataConflict {
  dir: string;
  kept: DataOwner;
  installed: DataOwner;
}

/** How the installed package stands to its data folder (reads only). */
function judge(root: string, name: string) {
  const installed = installedOwner(root, name);
  if (!installed) return undefined;
  const dir = moduleDataPath(root, name);
  const record = readOwnerRecord(root, name);
  const kept = record?.owner;
  let exists = true;
  try {
    lstatSync(dir);
  } catch {
    exists = false;
  }
  const same = kept?.origin === installed.origin && kept.signer === installed.signer;
  const conflict =
    exists && kept && !same && !sameOwner(root, kept, installed) ? { dir, kept, installed } : undefined;
  return { installed, exists, kept, keptPurges: record?.consumerPurge === true, same, conflict };
}

/** The kept folder when the installed package may not have it (`bpkg install` warns with it). */
export function dataOwnerConflict(root: string, name: string): DataConflict | undefined {
  try {
    return judge(root, name)?.conflict;
  } catch (err) {
    // A damaged record: said when the module starts (claimModuleData refuses it), not here, after
    // the install was done.
    if ((err as { code?: string }).code === 'damaged-file') return undefined;
    throw err;
  }
}

/**
 * Called before a module's container is made or started with its data folder: the folder is its
 * own (made now, or recorded as its origin's), else a ConflictError `data-owner`. Refused rather
 * than set aside: the admin chooses between deleting the old data and keeping it elsewhere, and
 * nothing is moved behind their back. A folder with no record (kept by a blueprint from before the
 * record, and not removed since: `bpkg remove` records it) is bound to the installed package. A
 * module the package manager does not list has nothing to bind it to. `consumerPurge` (given at a
 * start: ensure-container.ts) is recorded with the owner when the record says otherwise.
 */
export function claimModuleData(root: string, name: string, opts: { consumerPurge?: boolean } = {}): void {
  const j = judge(root, name);
  if (!j) return;
  if (j.same) {
    // From the record judge() read: no second read of it on the start path.
    if (opts.consumerPurge !== undefined && j.keptPurges !== opts.consumerPurge)
      writeOwner(root, name, j.installed, opts);
    return;
  }
  const { conflict } = j;
  if (conflict)
    throw new ConflictError(
      `${name}: its data folder ${conflict.dir} was kept from ${name} of ${fromWhere(conflict.kept)}; the installed ${name} comes from ${fromWhere(conflict.installed)}`,
      'data-owner',
      `A module's data is not handed to a package of the same name from elsewhere. To delete the old data: \`bpkg remove ${name} --purge\`, then install ${name} again. To keep it: move ${conflict.dir} out of ${layout(root).modulesData}, then start ${name} again (it gets an empty folder).`,
    );
  // A new folder, one kept from before the record, or the same repository's rotated key.
  writeOwner(root, name, j.installed, opts);
}
