import { damagedFile, readKeptJson, readKeptObject } from '../system/damaged-file.js';
import type { Layout } from '../system/paths.js';
import { type Database, emptyDatabase, entriesNamed, type FileList, fileListPath } from './db.js';

/**
 * What to do about a damaged database: moved aside, the box counts no package installed, and each
 * installs again over its files (test/cli/damaged-state-file.test.ts shows it).
 */
const HINT =
  'It is the record of the installed packages. Restore it from a backup; or move it aside, then install each package again (`bpkg install NAME`; the names are the folders in opt/blueprint).';

/**
 * The installed-package database as the package manager reads it: a file that is not JSON, or
 * not a database, is damagedFile (exit 7, named, what to do), not a bug. So is one whose entry is
 * not a package's name and version: recovery, rollback and the hooks join them to paths, so a
 * kept version `../../…` had rollback point NAME/current outside the box
 * (test/security/installed-db-names); the services' read (package-mounts.ts, db.ts's loadDatabase
 * in the start part) judges entries with the same entriesNamed. This one is kept out of the start
 * part (test/perf/start-path).
 */
export async function readInstalled(paths: Layout): Promise<Database> {
  const db = await readKeptJson<Database>(paths.installedDb, HINT);
  if (db === undefined || db === null) return emptyDatabase();
  if (typeof db.packages !== 'object' || !db.packages || Array.isArray(db.packages))
    throw damagedFile(paths.installedDb, 'not a package database', HINT);
  if (!entriesNamed(db.packages))
    throw damagedFile(paths.installedDb, 'an entry is not a package name and version', HINT);
  return db;
}

/**
 * A package version's file list (what `bpkg verify` checks against, the manifest its hooks get): one
 * not JSON, or not a file list, is damagedFile. `bpkg verify` reports it as the version's problem;
 * the reinstall it names unpacks the version again and writes the list anew.
 */
export function readFileList(paths: Layout, name: string, version: string): Promise<FileList | undefined> {
  return readKeptObject<FileList>(
    fileListPath(paths, name, version),
    (o) => Array.isArray(o.files) && typeof o.manifest === 'object' && o.manifest !== null,
    `It lists the files of ${name} ${version} and their hashes. Install it again: \`bpkg install ${name} --reinstall\`.`,
  );
}
