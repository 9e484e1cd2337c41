/**
 * A module's data folder (ROOT/var/lib/blueprint/modules/NAME: its store, documents, access token)
 * outlives `bpkg remove`, so a reinstall finds it; the admin deletes it by asking to purge.
 */
import { lstat, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { layout } from '../system/paths.js';

const NAME = /^[a-z0-9][a-z0-9.+-]*$/;

function dataDir(root: string, name: string): string {
  // A package name never holds a slash or "..": checked again so no caller can aim elsewhere.
  if (!NAME.test(name)) throw new UsageError(`${name}: not a package name`, 'See `bpkg list`.');
  return path.join(layout(root).modulesData, name);
}

/** The module's data folder when one exists (a link there counts: purge removes the link). */
export async function moduleDataDir(root: string, name: string): Promise<string | undefined> {
  const dir = dataDir(root, name);
  return (await lstat(dir).catch(() => undefined)) ? dir : undefined;
}

/**
 * Deletes the module's data folder; returns it, or undefined when there was none. The folder was
 * written by the module's container user, who may have left links to host files in it: nothing is
 * followed. A link (or file) in place of the folder is unlinked; inside the folder, fs.rm lstat()s
 * every entry and unlinks links rather than descending. Called after the module's containers are
 * gone, so nothing inside can swap an entry while the walk runs.
 */
export async function purgeModuleData(root: string, name: string): Promise<string | undefined> {
  const dir = dataDir(root, name);
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) await rm(dir, { recursive: true, force: true });
  else await unlink(dir);
  return dir;
}
