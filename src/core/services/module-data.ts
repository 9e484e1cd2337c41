/**
 * A module's data folder (ROOT/var/lib/blueprint/modules/NAME: its store, documents, access token)
 * outlives `bpkg remove`, so a reinstall finds it; the admin deletes it by asking to purge. It
 * belongs to where the module came from (data-owner.ts).
 */
import { lstat, rm, unlink } from 'node:fs/promises';
import { type DataOwner, moduleDataPath, ownerFile, readOwner, writeOwner } from './data-owner.js';
import { settingsFile } from './settings.js';

/** The module's data folder when one exists (a link there counts: purge removes the link). */
export async function moduleDataDir(root: string, name: string): Promise<string | undefined> {
  const dir = moduleDataPath(root, name);
  return (await lstat(dir).catch(() => undefined)) ? dir : undefined;
}

/**
 * Records whom a kept folder belongs to, unless that is known already. `bpkg remove` calls it with
 * the package removed: a folder that package never started with (made by hand, or kept by an older
 * blueprint) is then bound to it, not to whichever package of the name starts next. With the
 * record (new, or the removed package's own), whether the module took consumers' purges
 * (`consumerPurge`): a purge of a consumer then still asks its kept data (consumer-purge.ts).
 */
export async function bindModuleData(
  root: string,
  name: string,
  owner: DataOwner,
  opts: { consumerPurge?: boolean } = {},
): Promise<void> {
  if (!(await moduleDataDir(root, name))) return;
  let kept: DataOwner | undefined;
  try {
    kept = readOwner(root, name);
  } catch {
    return; // A damaged record is left as it is: its module's next start names it (claimModuleData).
  }
  if (!kept) writeOwner(root, name, owner, opts);
  // Kept from this same package (recorded at its start): only whether it takes purges is new. A
  // folder kept from another package of the name is that one's, its record left as it is.
  else if (kept.origin === owner.origin && (kept.signer === '' || kept.signer === owner.signer.toLowerCase()))
    writeOwner(root, name, kept, opts);
}

/**
 * Deletes the module's data folder and the record of whom it belonged to; returns the folder, or
 * undefined when there was none. The folder was written by the module's container user, who may
 * have left links to host files in it: nothing is followed. A link (or file) in place of the
 * folder is unlinked; inside the folder, fs.rm lstat()s every entry and unlinks links rather than
 * descending. Called after the module's containers are gone, so nothing inside can swap an entry
 * while the walk runs.
 */
export async function purgeModuleData(root: string, name: string): Promise<string | undefined> {
  const dir = moduleDataPath(root, name);
  await rm(ownerFile(root, name), { force: true });
  // The admin's settings of it (`service config`), as dpkg's purge takes a package's conffiles.
  await rm(settingsFile(root, name), { force: true });
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) await rm(dir, { recursive: true, force: true });
  else await unlink(dir);
  return dir;
}
