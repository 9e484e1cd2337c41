/**
 * The file-system side of detection: a read-only view of a host's /sys, /proc and /dev under a root
 * directory (`/` on the box, a fixture tree in tests). Every method answers "absent" instead of
 * throwing, because a missing file is information here, not an error.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { resolveInside } from '../system/beneath.js';
import { type BoundedRead, pathOfFd, readCappedFile } from '../system/read-bounded.js';

/**
 * The most one file is read: pci.ids (~1.4 MB) and CDI specs are the big ones. A tree under `--root`
 * is anyone's (a mounted image): a file is read only when it is a regular one (a FIFO would hold the
 * command, /dev/zero fill memory) and never past this, whatever its size says (/proc says 0).
 */
export const MAX_HOST_FILE = 8 * 1024 * 1024;

export interface HostFs {
  /** Text of a file, or undefined when it cannot be read. Paths are host paths (`/sys/...`). */
  read(hostPath: string): Promise<string | undefined>;
  /** Names in a directory, sorted; [] when absent. */
  list(hostPath: string): Promise<string[]>;
  /** Target of a symbolic link, or undefined. */
  link(hostPath: string): Promise<string | undefined>;
  /**
   * Whether something exists at the path, without following links. On a real host /dev nodes are
   * character devices; fixture trees use regular files, which count as present too.
   */
  exists(hostPath: string): Promise<boolean>;
}

export function rootedFs(root: string): HostFs {
  const at = (p: string) => path.join(root, p);
  // Another tree's links are its own: an absolute one, or one up past it, would be the host's file.
  const confined = path.resolve(root) !== '/';
  return {
    read: async (p) => {
      const r = await (confined ? readInside(root, p) : readCappedFile(at(p), MAX_HOST_FILE)).catch(
        () => undefined,
      );
      return r?.ok ? r.bytes.toString('utf8') : undefined;
    },
    list: (p) =>
      (confined ? listInside(root, p) : readdir(at(p))).then(
        (names) => names.sort(),
        () => [],
      ),
    // The last name is not followed (readlink, lstat); the folders on the way, inside the tree.
    link: (p) =>
      Promise.resolve()
        .then(() => readlink(confined ? nameInside(root, p) : at(p)))
        .catch(() => undefined),
    exists: (p) =>
      Promise.resolve()
        .then(() => lstat(confined ? nameInside(root, p) : at(p)))
        .then(
          () => true,
          () => false,
        ),
  };
}

/** Where `hostPath`'s folder really is under `root`, with its last name: throws when it leads out. */
function nameInside(root: string, hostPath: string): string {
  const r = resolveInside(root, path.dirname(hostPath));
  if (!r.inside || !r.exists) throw new Error(`${hostPath} is not inside ${root}`);
  return path.join(r.path, path.basename(hostPath));
}

/** The names in `hostPath` under `root` (not /), resolved as readInside does, read from the folder's descriptor. */
async function listInside(root: string, hostPath: string): Promise<string[]> {
  const r = resolveInside(root, hostPath);
  if (!r.inside || !r.exists) return [];
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
  const dir = await open(r.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    // A folder swapped for another since it was resolved: refused.
    if (pathOfFd(dir.fd) !== r.path) return [];
    return await readdir(`/proc/self/fd/${dir.fd}`);
  } finally {
    await dir.close();
  }
}

/**
 * `hostPath` read under `root` (not /) with its links resolved inside it (beneath.ts: an absolute
 * link or one up past the root is refused, as a chroot would keep it in), then opened without
 * following a link at the name and held to be the file at that real path (a swap since: refused).
 */
async function readInside(root: string, hostPath: string): Promise<BoundedRead | undefined> {
  const r = resolveInside(root, hostPath);
  if (!r.inside || !r.exists) return undefined;
  return readCappedFile(r.path, MAX_HOST_FILE, { accept: (_st, fd) => pathOfFd(fd) === r.path });
}
