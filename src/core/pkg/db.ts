import path from 'node:path';
import { writeJsonAtomic } from '../system/fs.js';
import { type Layout, PACKAGE_NAME } from '../system/paths.js';
import type { FileRecord } from './archive.js';
import type { Manifest } from './format.js';

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  summary: string;
  depends: string[];
  /** Repository it came from, or `file` for `bpkg install ./x.bpkg`. */
  origin: string;
  /** Fingerprint of the key whose signature was checked. */
  signer: string;
  /**
   * Fingerprint of the key that made that signature: `signer` itself or one of its subkeys (absent
   * in a database from before it was kept). A subkey revoked since refuses `bpkg rollback` to it.
   */
  signingKey?: string;
  installed: string;
  /** The version kept on disk for `bpkg rollback`. */
  previous?: string;
  /** Where that kept version came from and who signed it (absent in a database from before). */
  previousFrom?: { origin: string; signer: string; signingKey?: string };
  /** Installed as a dependency of another package (not asked for by name). */
  auto?: boolean;
}

/** The installed-package database. Writing it (atomically) is the commit point of every transaction. */
export interface Database {
  format: 1;
  /** Id of the last committed transaction. */
  txid: string;
  packages: Record<string, InstalledPackage>;
}

/** A version as a folder name: semver's characters, never `.`, `..` or a `/` (checked, not trusted). */
const VERSION_NAME = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,127}$/;

/**
 * `name` is a package's name and each version given (undefined: none) a version's folder name. Both
 * are joined to paths (opt/blueprint/NAME/VERSION, files/NAME_VERSION.json, NAME/current's text):
 * the package database's entries and the transaction record's changes are judged by this alone.
 */
export function packageNamed(name: unknown, ...versions: unknown[]): boolean {
  return (
    typeof name === 'string' &&
    PACKAGE_NAME.test(name) &&
    versions.every((v) => v === undefined || (typeof v === 'string' && VERSION_NAME.test(v)))
  );
}

/** An entry as a transaction commits it: under its own name, a version, any kept one a version too. */
function entryNamed(key: string, e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, version, previous } = e as Record<string, unknown>;
  return name === key && typeof version === 'string' && packageNamed(key, version, previous);
}

/** Every entry of a database's packages as a transaction commits it (entryNamed). */
export const entriesNamed = (packages: Record<string, unknown>): boolean =>
  Object.entries(packages).every(([key, e]) => entryNamed(key, e));

export const emptyDatabase = (): Database => ({ format: 1, txid: '', packages: {} });

/**
 * Read as the file itself (state-file.ts: no link followed, no FIFO waited on, bounded), imported
 * when used: this module is in the start part (the quick search's emptyDatabase), that one is not.
 */
const readStateJson = async <T>(file: string) =>
  (await import('../system/state-file.js')).readStateJson<T>(file);

export async function loadDatabase(paths: Layout): Promise<Database> {
  return (await readStateJson<Database>(paths.installedDb)) ?? emptyDatabase();
}

export async function saveDatabase(paths: Layout, db: Database): Promise<void> {
  await writeJsonAtomic(paths.installedDb, db);
}

/** Per-version record of unpacked files and their hashes, for `bpkg verify`. */
export interface FileList {
  name: string;
  version: string;
  manifest: Manifest;
  files: FileRecord[];
  /**
   * The package's detached signature as install checked it, base64 (at most 64 KiB before: fetch.ts,
   * local-package.ts); absent in a list an older blueprint wrote. `bpkg rollback` and `verify` judge
   * the key it names again (signer-revoked.ts keptSigning): the record's signingKey is not enough.
   */
  signature?: string;
}

export function fileListPath(paths: Layout, name: string, version: string): string {
  return path.join(paths.filesDir, `${name}_${version}.json`);
}

export async function loadFileList(
  paths: Layout,
  name: string,
  version: string,
): Promise<FileList | undefined> {
  return readStateJson<FileList>(fileListPath(paths, name, version));
}

export async function saveFileList(paths: Layout, list: FileList): Promise<void> {
  await writeJsonAtomic(fileListPath(paths, list.name, list.version), list);
}
