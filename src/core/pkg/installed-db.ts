import { damagedFile, readKeptJson } from '../system/damaged-file.js';
import type { Layout } from '../system/paths.js';
import { type Database, emptyDatabase } from './db.js';

/**
 * What to do about a damaged database: moved aside, the box counts no package installed, and each
 * installs again over its files (test/cli/damaged-state-file.test.ts shows it).
 */
const HINT =
  'It is the record of the installed packages. Restore it from a backup; or move it aside, then install each package again (`bpkg install NAME`; the names are the folders in opt/blueprint).';

/**
 * The installed-package database as the package manager reads it: a file that is not JSON, or
 * not a database, is damagedFile (exit 7, named, what to do), not a bug. db.ts's loadDatabase, the
 * services' read (the start part's lazy modules), stays as it was: this one is kept out of the
 * start part (test/perf/start-path).
 */
export async function readInstalled(paths: Layout): Promise<Database> {
  const db = await readKeptJson<Database>(paths.installedDb, HINT);
  if (db === undefined || db === null) return emptyDatabase();
  if (typeof db.packages !== 'object' || !db.packages || Array.isArray(db.packages))
    throw damagedFile(paths.installedDb, 'not a package database', HINT);
  return db;
}
