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
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, storageErrorFrom } from '../errors.js';
import { inDir, namedInError } from '../system/safe-write.js';

export interface CleanResult {
  /** What was removed (with `dryRun`: would be), by file name within the cache, with its size. */
  removed: Array<{ name: string; bytes: number }>;
  /** The bytes those files held. */
  bytes: number;
  /** Set when nothing was removed because only the list was asked for (a dry run). */
  dryRun?: true;
}

/** `packageFileName` (NAME_VERSION_ARCH.bpkg) and its download's `.part`; never a dot-name. */
const CACHED = /^[a-z0-9][^/]*_[^/]+_[^/]+\.bpkg(\.part)?$/;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * The cache folder itself, held open: with O_NOFOLLOW a link planted at its own name (which the
 * root check lets through when it stays inside the root) is refused, never followed to empty the
 * folder it names. Undefined when there is no cache yet.
 */
async function openCache(cacheDir: string): Promise<FileHandle | undefined> {
  try {
    return await open(cacheDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    // O_NOFOLLOW|O_DIRECTORY answers ELOOP or ENOTDIR for a link: look at what it is.
    const link =
      (errno(err) === 'ELOOP' || errno(err) === 'ENOTDIR') &&
      (await lstat(cacheDir).then(
        (st) => st.isSymbolicLink(),
        () => false,
      ));
    if (link)
      throw new StorageError(
        `${cacheDir} is a symbolic link, not the package cache folder; nothing was removed through it`,
        'cache-link',
        `Remove the link (rm ${cacheDir}); the next download makes the folder again. If the cache must live on another disk, link a folder above it (var/cache) instead.`,
      );
    throw storageErrorFrom(err, 'reading the package cache');
  }
}

/**
 * Removes the cache's archives and partial downloads, or with `dryRun` only lists them (the same
 * list, nothing removed). `cacheDir` has been judged inside the root after its links are resolved
 * (the lock's checkRoot); the folder itself is then opened without following a link at its name
 * and every entry is reached through that descriptor (/proc/self/fd/N/NAME), so a link put in its
 * place afterwards changes nothing. Each entry is judged by lstat and only a regular file is
 * unlinked: unlink never follows a link at its last name, and a link or folder planted there is
 * left alone, so nothing outside the cache is reached.
 */
export async function cleanCache(cacheDir: string, opts: { dryRun?: boolean } = {}): Promise<CleanResult> {
  const result: CleanResult = { removed: [], bytes: 0, ...(opts.dryRun ? { dryRun: true as const } : {}) };
  const dir = await openCache(cacheDir);
  if (!dir) return result;
  try {
    let names: string[];
    try {
      names = (await readdir(inDir(dir))).sort();
    } catch (err) {
      if (errno(err) === 'ENOENT')
        throw new StorageError(
          'Cannot reach open folders through /proc/self/fd',
          'no-proc',
          'Mount /proc (mount -t proc proc /proc) and run the command again; nothing was removed.',
        );
      throw storageErrorFrom(namedInError(err, cacheDir), 'reading the package cache');
    }
    for (const name of names) {
      if (!CACHED.test(name)) continue;
      const file = inDir(dir, name);
      try {
        const st = await lstat(file);
        if (!st.isFile()) continue;
        if (!opts.dryRun) await unlink(file);
        result.removed.push({ name, bytes: st.size });
        result.bytes += st.size;
      } catch (err) {
        if (errno(err) === 'ENOENT') continue;
        const shown = path.join(cacheDir, name);
        throw storageErrorFrom(namedInError(err, shown), `removing ${shown}`);
      }
    }
  } finally {
    await dir.close();
  }
  return result;
}
