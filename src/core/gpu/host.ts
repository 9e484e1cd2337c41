/**
 * The file-system side of detection: a read-only view of a host's /sys, /proc and /dev under a root
 * directory (`/` on the box, a fixture tree in tests). Every method answers "absent" instead of
 * throwing, because a missing file is information here, not an error.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

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
  return {
    read: (p) => readFile(at(p), 'utf8').catch(() => undefined),
    list: (p) =>
      readdir(at(p)).then(
        (names) => names.sort(),
        () => [],
      ),
    link: (p) => readlink(at(p)).catch(() => undefined),
    exists: (p) =>
      lstat(at(p)).then(
        () => true,
        () => false,
      ),
  };
}
