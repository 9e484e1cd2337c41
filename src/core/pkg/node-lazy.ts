import type { Layout } from '../system/paths.js';
import { liteCrypto } from './crypto-lite.js';

/**
 * Node's built-ins for the modules of the executable's start part (the quick `bpkg search` and
 * `bpkg update`: src/cli/commands/pkg-quick.ts), taken when first used instead of imported. An
 * import there would run at every start, `--json version` included: esbuild's CommonJS interop
 * copies node:fs's hundred exports, and node:crypto takes ~4 ms of CPU to load (issue 20).
 */
export const nodeFs = () => process.getBuiltinModule('node:fs');
/** createHash, timingSafeEqual, randomBytes: from Node's crypto binding in the executable (crypto-lite.ts). */
export const nodeCrypto = liteCrypto;

/**
 * semver's `gt`, imported when first needed. semver is CommonJS: under Node its `import()` has
 * named exports beside `default`, but in the executable's bundle a package imported dynamically is
 * an entry that exports `default` alone, so `(await import('semver')).gt` was undefined there
 * (test/pkg/bundle-interop.test.ts): the quick search and the quick count of upgrades threw, and
 * their callers quietly fell back to the package manager.
 */
export async function semverGt(): Promise<(a: string, b: string) => boolean> {
  const m: typeof import('semver') & { default?: typeof import('semver') } = await import('semver');
  return (m.default ?? m).gt;
}

/** A file's bytes, read synchronously (one read(2) loop, no thread-pool trips); undefined when it cannot be read. */
export function readBytes(file: string): Buffer | undefined {
  try {
    return nodeFs().readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * A JSON file parsed, or undefined when it does not exist; any other error is thrown (as
 * readStateJson in system/state-file.ts, whose fs.promises the quick commands need not load). The
 * box's own files (installed.json, repos.d, meta.json) are read as the files themselves: a link at
 * the name, a FIFO, a device or a file over 64 MiB is thrown for (openServedSync), and the quick
 * command's caller leaves the answer to the package manager, which names it (not-a-state-file).
 */
export function readJsonSync<T>(file: string): T | undefined {
  const fs = nodeFs();
  // An absent file (the installed database of a box with no packages) without an exception.
  if (!fs.lstatSync(file, { throwIfNoEntry: false })) return undefined;
  const opened = openServedSync(file, 2 ** 26);
  // Not shown: the quick command's caller declines, and the package manager says what it is.
  if (!opened) throw new Error(file);
  try {
    return JSON.parse(fs.readFileSync(opened.fd, 'utf8')) as T;
  } finally {
    fs.closeSync(opened.fd);
  }
}

/** The repository configurations' file names (`repos.d/*.json`), sorted; none when the folder cannot be read. */
export function repoConfigFiles(reposDir: string): string[] {
  try {
    return nodeFs()
      .readdirSync(reposDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Whether any repository is configured (a file in ROOT/etc/blueprint/repos.d), without opening one:
 * here, in the executable's start part, so that the dashboards' first paint asks it without the
 * index parser and semver (issue 20).
 */
export function anyRepository(paths: Pick<Layout, 'reposDir'>): boolean {
  return repoConfigFiles(paths.reposDir).length > 0;
}

/**
 * A served file opened for its one read, judged before it is opened: an O_PATH descriptor
 * (0o10000000, Linux's, not in fs.constants) of the name, a link there not followed (its path's
 * links were judged by joinUrl), is fstat'ed, and only a regular file of at most `max` bytes is
 * opened for reading, through /proc/self/fd (that inode). So a FIFO is never waited on (on the
 * main thread, where SIGINT and SIGTERM are caught) and a device node on a stick mounted with its
 * nodes never opened (read-bounded's judgedOpen, 0bfe401). Else undefined. Open errors are thrown.
 * The caller reads through `fd` and closes it (issue 20).
 */
export function openServedSync(file: string, max: number): { fd: number; size: number } | undefined {
  const fs = nodeFs();
  const at = fs.openSync(file, 0o10000000 | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(at);
    return st.isFile() && st.size <= max
      ? { fd: fs.openSync(`/proc/self/fd/${at}`, 0), size: st.size }
      : undefined;
  } finally {
    fs.closeSync(at);
  }
}

/** A file that must hold `before`, then exactly the bytes readAlongside reads, then `after`. */
export interface Alongside {
  file: string;
  before: Uint8Array;
  after: Uint8Array;
}

/**
 * Reads `file` once, in pieces read into `piece`, handing each to `each` (a view of `piece`: used
 * before the next read), and compares every piece on the way with the same bytes of each of
 * `sides`. Whether the whole file (at most `max` bytes) was read so and every side holds
 * `before`, exactly those bytes, then `after` and nothing more. False when a file cannot be
 * opened or read. An unchanged `bpkg update` (update-fast.ts): the served index hashed for its
 * signature while it is compared with the kept copy and the cache, in one pass and without a
 * buffer of its own (issue 20). A FIFO, a folder or a link at `file`'s name is refused at once.
 */
export function readAlongside(
  file: string,
  max: number,
  sides: Alongside[],
  each: (bytes: Buffer) => void,
  piece: Buffer = Buffer.allocUnsafe(256 * 1024),
): boolean {
  const fs = nodeFs();
  const fds: number[] = [];
  const other = Buffer.allocUnsafe(piece.length);
  /** Whether `fd` holds `bytes` at `at` (read into `other` a piece at a time). */
  const holds = (fd: number, bytes: Uint8Array, at: number): boolean => {
    for (let done = 0; done < bytes.length; ) {
      const n = fs.readSync(fd, other, 0, Math.min(other.length, bytes.length - done), at + done);
      if (n === 0 || !other.subarray(0, n).equals(bytes.subarray(done, done + n))) return false;
      done += n;
    }
    return true;
  };
  try {
    // Served bytes: only a regular file within `max` (openServedSync). The sides are the box's own.
    const served = openServedSync(file, max);
    if (!served) return false;
    const { fd } = served;
    fds.push(fd);
    const { O_RDONLY, O_NONBLOCK } = fs.constants;
    for (const s of sides) fds.push(fs.openSync(s.file, O_RDONLY | O_NONBLOCK));
    for (let k = 0; k < sides.length; k++) if (!holds(fds[k + 1]!, sides[k]!.before, 0)) return false;
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, piece, 0, piece.length, total);
      if (n === 0) break;
      if (total + n > max) return false;
      const bytes = piece.subarray(0, n);
      each(bytes);
      for (let k = 0; k < sides.length; k++)
        if (!holds(fds[k + 1]!, bytes, sides[k]!.before.length + total)) return false;
      total += n;
    }
    // Each side ends with `after`, and nothing follows it.
    for (let k = 0; k < sides.length; k++) {
      const end = sides[k]!.before.length + total;
      if (!holds(fds[k + 1]!, sides[k]!.after, end)) return false;
      if (fs.readSync(fds[k + 1]!, other, 0, 1, end + sides[k]!.after.length) !== 0) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}
