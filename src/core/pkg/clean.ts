/**
 * `bpkg clean`, as `apt clean`: empties the package cache (var/cache/blueprint/packages) of what
 * only saves a download. Archives stay there after `bpkg bundle` and after an install whose
 * signature needs the whole file (fetch.ts `fetchPackage`); a process killed mid-download leaves a
 * `.part`; neither is ever used again unless its SHA-256 still matches a signed index, so removing
 * them is always safe: the next install downloads again. Installed packages live under
 * opt/blueprint and var/lib/blueprint and are never looked at here.
 *
 * Run under the package lock (PackageManager.clean): every download and bundle holds it too, so
 * no archive or `.part` is in use meanwhile. Private copies of local `.bpkg` files
 * (`.local-PID-…`) belong to `pruneLocalCopies`, which the lock's entry already ran: a live
 * process's copy is in use and kept.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom } from '../errors.js';

export interface CleanResult {
  /** What was removed, by file name within the cache, with its size. */
  removed: Array<{ name: string; bytes: number }>;
  /** The bytes those files held. */
  bytes: number;
}

/** `packageFileName` (NAME_VERSION_ARCH.bpkg) and its download's `.part`; never a dot-name. */
const CACHED = /^[a-z0-9][^/]*_[^/]+_[^/]+\.bpkg(\.part)?$/;

/**
 * Removes the cache's archives and partial downloads. `cacheDir` has been judged inside the root
 * after its links are resolved (the lock's checkRoot); each entry is judged by lstat and only a
 * regular file is unlinked: unlink never follows a link at its last name, and a link or folder
 * planted there is left alone, so nothing outside the cache is reached.
 */
export async function cleanCache(cacheDir: string): Promise<CleanResult> {
  const result: CleanResult = { removed: [], bytes: 0 };
  let names: string[];
  try {
    names = (await readdir(cacheDir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw storageErrorFrom(err, 'reading the package cache');
  }
  for (const name of names) {
    if (!CACHED.test(name)) continue;
    const file = path.join(cacheDir, name);
    try {
      const st = await lstat(file);
      if (!st.isFile()) continue;
      await unlink(file);
      result.removed.push({ name, bytes: st.size });
      result.bytes += st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw storageErrorFrom(err, `removing ${file}`);
    }
  }
  return result;
}
