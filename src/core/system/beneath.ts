import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { type BoundedRead, readBoundedFile } from './read-bounded.js';

/** Linux's own limit on links followed in one lookup (MAXSYMLINKS); a chain longer than it is refused. */
export const MAX_LINK_HOPS = 40;

export type Beneath =
  | {
      inside: true;
      /** The resolved path under the (real) base. */
      path: string;
      /** False when some component does not exist: the rest was judged as plain names. */
      exists: boolean;
    }
  | { inside: false; reason: 'escapes' | 'absolute-link' | 'too-many-links' };

const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * The kernel's real path of `p` where it exists; for a path whose tail does not exist yet, the
 * real path of its longest existing ancestor with the missing names appended. Only `.native`: the
 * JavaScript `realpathSync` has answered wrongly on long link chains.
 */
export function realpathExisting(p: string): string {
  const missing: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync.native(cur), ...missing.reverse());
    } catch (err) {
      const parent = path.dirname(cur);
      if (!isMissing(err) || parent === cur) throw err;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * Resolves `rel` below `base` one component at a time, following every symlink the way the kernel
 * does (a link's target is read against what is really on disk, not its text), and answers whether
 * every step stays inside `base`. Stricter than the kernel on purpose: a `..` that leaves `base`
 * even for a moment, an absolute link, or more than MAX_LINK_HOPS links is refused. Components
 * that do not exist (a dangling link, a folder made later) are judged as plain names, so a link
 * that would point out once they appear is refused too. `base` must be a real path (no links).
 */
export function resolveBeneath(base: string, rel: string): Beneath {
  const pending = rel.split('/').reverse();
  const cur: string[] = [];
  let hops = 0;
  let exists = true;
  while (pending.length) {
    const name = pending.pop()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (!cur.length) return { inside: false, reason: 'escapes' };
      cur.pop();
      continue;
    }
    cur.push(name);
    if (!exists) continue;
    const here = path.join(base, ...cur);
    let isLink: boolean;
    try {
      isLink = lstatSync(here).isSymbolicLink();
    } catch (err) {
      if (!isMissing(err)) throw err;
      exists = false;
      continue;
    }
    if (!isLink) continue;
    if (++hops > MAX_LINK_HOPS) return { inside: false, reason: 'too-many-links' };
    const target = readlinkSync(here);
    if (target.startsWith('/')) return { inside: false, reason: 'absolute-link' };
    cur.pop();
    pending.push(...target.split('/').reverse());
  }
  return { inside: true, path: path.join(base, ...cur), exists };
}

/**
 * `resolveBeneath` with `base` given by any path (it is made real first); where the candidate
 * exists, the kernel's own lookup of the same text (realpath.native) must land inside too, so a
 * mistake in either answer refuses rather than lets through.
 */
export function resolveInside(base: string, rel: string): Beneath {
  const realBase = realpathExisting(base);
  const r = resolveBeneath(realBase, rel);
  if (!r.inside || !r.exists) return r;
  let kernel: string;
  try {
    // Joined as text on purpose: path.join would fold `link/..` before the kernel sees the link.
    kernel = realpathSync.native(`${realBase}/${rel}`);
  } catch {
    return { inside: false, reason: 'escapes' };
  }
  if (kernel !== r.path) return { inside: false, reason: 'escapes' };
  return r;
}

/** A root other than the box's own `/`: a tree `status` reads whoever's it is (through here). */
export const isTree = (root: string): boolean => path.resolve(root) !== '/';

/** A folder held open by its descriptor: `fd` for /proc/self/fd/N/NAME, closed once by `close`. */
export interface HeldFolder {
  readonly fd: number;
  close(): Promise<void>;
}

/** A folder below a tree, held open (openFolderBeneath), or what stood in the way and where. */
export type FolderBeneath =
  | { ok: true; dir: HeldFolder }
  | {
      ok: false;
      /** `missing`: no such name; `link`: a link (never followed); `not-a-folder`: a file, a FIFO… */
      why: 'missing' | 'link' | 'not-a-folder' | 'climbs-out';
      /** The path below the tree up to the name that stood in the way (`etc/rauc`). */
      at: string;
    };

/**
 * Opens the folder `rel` below `root` through descriptors only, for a tree that may be anyone's
 * (`--root TREE`): `root` as named (the admin chose it: links on the way to it are followed), then
 * each name with O_DIRECTORY|O_NOFOLLOW in the folder held open before it (/proc/self/fd/N/NAME: the
 * kernel finds the folder by its descriptor). So no link of the tree is followed (TREE/etc ->
 * /elsewhere, a folder of the tree swapped for one after it was opened), and a FIFO or device at a
 * folder's name is never opened (O_DIRECTORY fails first). `rel` is lexically normalised; one that
 * climbs out of the tree with `..` is `climbs-out`. A file in the folder is read as
 * `/proc/self/fd/${dir.fd}/NAME` with O_NOFOLLOW (read-bounded.ts does: its O_PATH judgement). The
 * caller closes `dir`. Errors other than ENOENT and what a link or non-folder gives are thrown.
 */
export async function openFolderBeneath(root: string, rel: string): Promise<FolderBeneath> {
  // node:fs's synchronous calls, not node:fs/promises: `status` and the console's first paint read
  // a tree's files through here, and loading node:fs/promises takes readline and the fs watchers
  // with it (test/tui/paint-builtins); each call is a local open or stat of microseconds.
  const { openSync, closeSync, lstatSync, constants } = process.getBuiltinModule('node:fs');
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
  const held = (fd: number): HeldFolder => {
    let open = true;
    return {
      fd,
      close: async () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  };
  const normal = path.posix.normalize(`./${rel}`);
  if (normal === '..' || normal.startsWith('../')) return { ok: false, why: 'climbs-out', at: rel };
  const names = normal.split('/').filter((n) => n !== '' && n !== '.');
  let fd: number;
  try {
    fd = openSync(root, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, why: 'missing', at: '.' };
    throw err;
  }
  for (let i = 0; i < names.length; i++) {
    const at = `/proc/self/fd/${fd}/${names[i]}`;
    const shown = names.slice(0, i + 1).join('/');
    try {
      const next = openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
      closeSync(fd);
      fd = next;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      let found: 'missing' | 'link' | 'not-a-folder' | undefined;
      if (code === 'ENOENT') found = 'missing';
      else if (code === 'ELOOP' || code === 'ENOTDIR') {
        let isLink = false;
        try {
          isLink = lstatSync(at).isSymbolicLink();
        } catch {}
        found = isLink ? 'link' : 'not-a-folder';
      }
      closeSync(fd);
      if (!found) throw shownAs(err, at, path.join(root, shown));
      return { ok: false, why: found, at: shown };
    }
  }
  return { ok: true, dir: held(fd) };
}

/** `err` naming `shown` (the path as the admin knows it) where it named the descriptor's `at`. */
function shownAs(err: unknown, at: string, shown: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.path === at) {
    e.message = e.message.replaceAll(at, shown);
    e.path = shown;
  }
  return err;
}

/** A file below a tree read once (readFileBeneath): its bytes, why not, or what stood in the way. */
export type ReadBeneath = BoundedRead | Extract<FolderBeneath, { ok: false }>;

/**
 * The bytes of the file `rel` below `root`, a tree that may be anyone's: its folder opened as
 * openFolderBeneath opens it (no link of the tree followed), the file read once in it as
 * readBoundedFile reads one (no link at its name, no FIFO or device opened, `max` bytes at most).
 * An error of the file's own open names `root/rel`, not the descriptor's path.
 */
export async function readFileBeneath(root: string, rel: string, max: number): Promise<ReadBeneath> {
  const normal = path.posix.normalize(`./${rel}`);
  const folder = await openFolderBeneath(root, path.posix.dirname(normal));
  if (!folder.ok) return folder;
  try {
    const at = `/proc/self/fd/${folder.dir.fd}/${path.posix.basename(normal)}`;
    const r = await readBoundedFile(at, max);
    if (!r.ok && r.why === 'open') shownAs(r.error, at, path.join(root, normal));
    return r;
  } finally {
    await folder.dir.close();
  }
}

/**
 * `read` given `/proc/self/fd/N/NAME`, the file `rel` below `root` in its folder held open as
 * openFolderBeneath opens it (no link of the tree followed on the way), or what stood in the way.
 * `read` judges the name itself (with O_NOFOLLOW: read-bounded's readers do). The folder is closed
 * when `read` settles.
 */
export async function atBeneath<R>(
  root: string,
  rel: string,
  read: (at: string) => Promise<R>,
): Promise<{ ok: true; value: R } | Extract<FolderBeneath, { ok: false }>> {
  const normal = path.posix.normalize(`./${rel}`);
  const folder = await openFolderBeneath(root, path.posix.dirname(normal));
  if (!folder.ok) return folder;
  try {
    return { ok: true, value: await read(`/proc/self/fd/${folder.dir.fd}/${path.posix.basename(normal)}`) };
  } finally {
    await folder.dir.close();
  }
}

/** The names in the folder `rel` below `root`, reached as openFolderBeneath reaches it; [] where none is. */
export async function namesBeneath(root: string, rel: string): Promise<string[]> {
  const folder = await openFolderBeneath(root, rel).catch(() => undefined);
  if (!folder?.ok) return [];
  try {
    return process.getBuiltinModule('node:fs').readdirSync(`/proc/self/fd/${folder.dir.fd}`);
  } catch {
    return [];
  } finally {
    await folder.dir.close();
  }
}

/**
 * The first of the folders `rels` below `root` whose way holds a link or something not a folder
 * (as openFolderBeneath meets it), named `ROOT/PATH is a link: not followed` (or not a folder);
 * undefined when each is reached as a folder or is simply not there. `status` then reads the
 * state files below them through descriptors too (state-file.ts readStatesBeneath); listings and
 * `current` links there are still read by name (a race with the tree's owner changes what is
 * listed, nothing written or run).
 */
export async function linkOnTheWay(root: string, rels: string[]): Promise<string | undefined> {
  for (const rel of rels) {
    const r = await openFolderBeneath(root, rel);
    if (r.ok) await r.dir.close();
    else if (r.why !== 'missing')
      return `${path.join(root, r.at)} is ${r.why === 'link' ? 'a link: not followed' : 'not a folder: not read'}`;
  }
  return undefined;
}
