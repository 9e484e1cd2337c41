import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { StorageError, VerificationError } from '../errors.js';
import { otherWriter, otherWriterAtOrAbove } from './folder-writers.js';
import { ensureDir } from './fs.js';
import { alive } from './process-alive.js';

/**
 * Writing as root into folders that other users own (a user's ~/.ssh) without following links
 * they plant. Node has no openat/renameat/fchownat, so a directory is held open and the names in
 * it are reached as /proc/self/fd/N/NAME: the kernel finds the folder by its descriptor, so
 * swapping a folder on the way for a link after it was opened changes nothing. Every folder is
 * opened with O_NOFOLLOW, new files with O_CREAT|O_EXCL|O_NOFOLLOW, and owner and mode are set on
 * the descriptor before the file is renamed into place, never afterwards by name.
 */

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = constants;
const DIR_NOFOLLOW = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/** The path of `name` in the directory held open by `dir`, resolved through its descriptor. */
export const inDir = (dir: FileHandle, name?: string): string =>
  name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`;

/**
 * A system error names the /proc/self/fd/N/... path it was given, which means nothing to a user:
 * name `shown` (the path as the user knows it) instead.
 */
export function namedInError(err: unknown, shown: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.path === 'string' && e.path.startsWith('/proc/self/fd/')) {
    e.message = e.message.replaceAll(e.path, shown);
    e.path = shown;
  }
  return err;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

function unsafeLink(where: string): VerificationError {
  return new VerificationError(
    `${where} is a symbolic link in a folder another user can change; it was not followed`,
    'unsafe-link',
    `Nothing was written through it. Look at who made ${where}, replace it with a real folder, and run the command again.`,
  );
}

/**
 * Only root (or we) can have put a link in a folder that root (or we) own and nobody else can
 * write: such a link is the admin's and is followed; anywhere else a link is refused.
 */
async function linksTrusted(dir: FileHandle): Promise<boolean> {
  // No allowance: a sticky folder's links are anyone's, and a group may hold other users.
  return otherWriter(await dir.stat(), { stickyIsFine: false, ownGroupIsFine: false }) === undefined;
}

function namesOf(rel: string): string[] {
  const names = rel.split('/').filter((n) => n !== '' && n !== '.');
  if (names.includes('..'))
    throw new VerificationError(`${rel} climbs out with ..`, 'unsafe-path', 'Give a path below the root.');
  return names;
}

/** Opens `root` itself (the admin chose it, so links on the way to it are followed). */
async function openRoot(root: string): Promise<FileHandle> {
  const fh = await open(root, O_RDONLY | O_DIRECTORY);
  // Without /proc every name below would read as missing: say so instead.
  const [byFd, own] = await Promise.all([stat(inDir(fh)).catch(() => undefined), fh.stat()]);
  if (!byFd || byFd.ino !== own.ino || byFd.dev !== own.dev) {
    await fh.close();
    throw new StorageError(
      'Cannot reach open folders through /proc/self/fd',
      'no-proc',
      'Mount /proc (mount -t proc proc /proc) and run the command again; nothing was changed.',
    );
  }
  return fh;
}

/**
 * Opens the folder `rel` below `root` one name at a time, each with O_NOFOLLOW. A link is followed
 * only where linksTrusted() says root put it; elsewhere it is refused as `unsafe-link`. Missing
 * folders are made (0755, owned by us) when `create`; otherwise the answer is undefined. So is the
 * root itself: a new box (`setup` or `apply` on a --root not made yet) is planned as empty and made
 * at its first write.
 */
export async function openDirBeneath(
  root: string,
  rel: string,
  create: boolean,
): Promise<FileHandle | undefined> {
  let cur = await openRoot(root).catch(async (err: unknown) => {
    if (errno(err) !== 'ENOENT') throw err;
    if (!create) return undefined;
    await ensureDir(root);
    return openRoot(root);
  });
  if (!cur) return undefined;
  try {
    const walked: string[] = [];
    for (const name of namesOf(rel)) {
      walked.push(name);
      let next: FileHandle | undefined;
      for (let attempt = 0; !next; attempt++) {
        try {
          next = await open(inDir(cur, name), DIR_NOFOLLOW);
        } catch (err) {
          const code = errno(err);
          if (code === 'ENOENT' && create && attempt === 0) {
            await mkdir(inDir(cur, name), 0o755).catch((e) => {
              if (errno(e) !== 'EEXIST') throw e;
            });
            await cur.sync(); // the new folder's name, on the disk before what is written in it
            continue;
          }
          if (code === 'ENOENT' && !create) {
            await cur.close();
            return undefined;
          }
          // O_NOFOLLOW|O_DIRECTORY answers ENOTDIR or ELOOP for a link: look at what it is.
          if ((code !== 'ELOOP' && code !== 'ENOTDIR') || !(await lstat(inDir(cur, name))).isSymbolicLink())
            throw err;
          if (!(await linksTrusted(cur))) throw unsafeLink(walked.join('/'));
          next = await open(inDir(cur, name), O_RDONLY | O_DIRECTORY);
        }
      }
      await cur.close();
      cur = next;
    }
    return cur;
  } catch (err) {
    await cur.close().catch(() => {});
    throw err;
  }
}

/** The last name of `rel` and the folder that holds it, opened as openDirBeneath does. */
export function splitName(rel: string): { dir: string; name: string } {
  const names = namesOf(rel);
  const name = names.pop();
  if (name === undefined)
    throw new VerificationError(
      `${rel || '(empty)'} names the root itself`,
      'unsafe-path',
      'Give a path below the root.',
    );
  return { dir: names.join('/'), name };
}

/** The writer's PID in the name: one a killed writer left is known as such (removeDeadTemps). */
export const tempName = (name: string) => `.${name}.${process.pid}-${randomBytes(8).toString('hex')}.tmp`;

/**
 * Removes `name`'s temporary files in `dir` whose writer died before its rename (SIGKILL, power
 * cut): nothing else would, and each kill left one more (in /etc, a home's ~/.ssh, a module's data
 * folder with a token in it). Unlinked by name in the folder held open: never a link's target.
 */
export async function removeDeadTemps(dir: FileHandle, name: string): Promise<void> {
  const prefix = `.${name}.`;
  for (const n of await readdir(inDir(dir)).catch(() => [] as string[])) {
    const pid = n.startsWith(prefix) && /^([0-9]+)-[0-9a-f]{16}\.tmp$/.exec(n.slice(prefix.length))?.[1];
    if (pid && !alive(Number(pid))) await unlink(inDir(dir, n)).catch(() => {});
  }
}

export interface FileWrite {
  mode: number;
  /** Owner [uid, gid]; undefined keeps ours. */
  owner?: readonly [number, number];
  /** Keep the mode and owner of the file already there (if it is a plain file). */
  keepExisting?: boolean;
}

/**
 * Replaces `name` in `dir` atomically: a new file made with O_EXCL|O_NOFOLLOW under a random name,
 * written, given its owner and mode through the descriptor, synced, then renamed over the name
 * (rename replaces a link, it does not follow it) and the folder synced.
 */
export async function writeFileAt(
  dir: FileHandle,
  name: string,
  data: string | Uint8Array,
  opts: FileWrite,
): Promise<void> {
  let { mode, owner } = opts;
  if (opts.keepExisting) {
    const st = await lstat(inDir(dir, name)).catch((err) => {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (st?.isFile()) {
      mode = st.mode & 0o7777;
      owner = [st.uid, st.gid];
    }
  }
  await removeDeadTemps(dir, name);
  const tmp = tempName(name);
  const fh = await open(inDir(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    try {
      await fh.writeFile(data);
      // chown before chmod: a chown clears set-id bits the mode may ask for.
      if (owner) await fh.chown(owner[0], owner[1]);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await moveFolderAside(dir, name);
    await rename(inDir(dir, tmp), inDir(dir, name));
  } catch (err) {
    await unlink(inDir(dir, tmp)).catch(() => {});
    throw err;
  }
  await dir.sync();
}

/**
 * A file cannot be renamed over a folder: a user who makes the name of a file setup manages in
 * their home (~/.ssh/authorized_keys) a folder would fail every later apply. The folder is renamed
 * aside in the same place (theirs, kept as it is), never removed: removing a tree as root while
 * its owner can swap its folders for links could reach outside it.
 */
async function moveFolderAside(dir: FileHandle, name: string): Promise<void> {
  const st = await lstat(inDir(dir, name)).catch((err) => {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (st?.isDirectory())
    await rename(inDir(dir, name), inDir(dir, `.${name}.${randomBytes(8).toString('hex')}.replaced`));
}

/**
 * Makes `name` in `dir` a real folder with this mode and owner. Whatever else is there (a link, a
 * file) is removed first, not followed; the folder is then opened with O_NOFOLLOW and changed
 * through its descriptor, so a link swapped in meanwhile is refused instead.
 */
export async function ensureDirAt(
  dir: FileHandle,
  name: string,
  mode: number,
  owner?: readonly [number, number],
  where = name,
): Promise<void> {
  const st = await lstat(inDir(dir, name)).catch((err) => {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (st && !st.isDirectory()) await unlink(inDir(dir, name));
  if (!st?.isDirectory()) {
    await mkdir(inDir(dir, name), mode).catch((err) => {
      if (errno(err) !== 'EEXIST') throw err;
    });
    await dir.sync(); // made (or a file replaced): on the disk before a later commit names it
  }
  let fh: FileHandle;
  try {
    fh = await open(inDir(dir, name), DIR_NOFOLLOW);
  } catch (err) {
    if (errno(err) === 'ELOOP' || errno(err) === 'ENOTDIR') throw unsafeLink(where);
    throw err;
  }
  try {
    if (owner) await fh.chown(owner[0], owner[1]);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

/**
 * Points `name` in `dir` at `target`: a link made under a random name, renamed over the name, the
 * folder synced.
 */
export async function symlinkAt(dir: FileHandle, name: string, target: string): Promise<void> {
  await removeDeadTemps(dir, name);
  const tmp = tempName(name);
  await symlink(target, inDir(dir, tmp));
  try {
    await rename(inDir(dir, tmp), inDir(dir, name));
  } catch (err) {
    await unlink(inDir(dir, tmp)).catch(() => {});
    throw err;
  }
  await dir.sync(); // as writeFileAt: a unit's link lost to a power cut after setup-done leaves it off
}

/**
 * Removes `name` (not a folder) from `dir`; a link is removed, never its target. One unlink(2) of
 * the name: it never follows a link and never walks a folder (a folder at the name is EISDIR, left
 * whole). Not fs.rm: that is rimraf, recursive whatever `recursive` says, which lstat()s the name
 * again after its check and readdir()s a folder by path, so the folder's owner, swapping the name
 * between those calls (a file, then a full folder, then a link), had root unlink the files of any
 * host folder (test/security/remove-at-race). True when there was one to remove.
 */
export async function removeAt(dir: FileHandle, name: string): Promise<boolean> {
  const removed = await unlink(inDir(dir, name)).then(
    () => true,
    (err) => {
      if (errno(err) !== 'ENOENT') throw err;
      return false;
    },
  );
  // Synced: a removal lost to a power cut (SSH's unit link, a revoked token's file) comes back.
  if (removed) await dir.sync();
  return removed;
}

/**
 * A secret (the data partition's recovery key) written at a path the admin named, root's and 0600.
 * Unreadable to others, it would still be theirs to delete or swap for one of their choosing in a
 * folder they can change: so the folder and every folder above it (the admin's links resolved)
 * must be ones only root, or we, can change (a sticky /tmp is). Missing folders are made 0700. The
 * file is written through the checked folder's descriptor (writeFileAt), never by its path again.
 */
export async function writeSecretFile(file: string, data: string | Uint8Array): Promise<void> {
  const abs = path.resolve(file);
  const parent = path.dirname(abs);
  // Judged before a folder is made in it, then again as made.
  await onlyRootChanges(await existingAncestor(parent), file);
  await ensureDir(parent, 0o700);
  const real = await realpath(parent);
  const checked = await onlyRootChanges(real, file);
  const dir = await open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const st = await dir.stat();
    // Only root can have changed a folder judged above; this holds it to what was judged.
    if (st.ino !== checked.ino || st.dev !== checked.dev)
      throw new StorageError(
        `${real} changed while it was checked`,
        'shared-folder',
        'Run the command again.',
      );
    await writeFileAt(dir, path.basename(abs), data, { mode: 0o600 });
  } finally {
    await dir.close();
  }
}

/** The real path of `p`'s nearest folder that exists (`p` itself when it does). */
async function existingAncestor(p: string): Promise<string> {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return await realpath(at);
    } catch (err) {
      if (errno(err) !== 'ENOENT' || path.dirname(at) === at) throw err;
    }
  }
}

/** Throws unless `real` (a real path) and every folder above it only root, or we, can change. */
async function onlyRootChanges(real: string, file: string): Promise<Stats> {
  const first = await stat(real);
  // A sticky /tmp is fine; a group-writable folder is not, whoever's group it is.
  const allow = { stickyIsFine: true, ownGroupIsFine: false };
  const writer = await otherWriterAtOrAbove(real, first, allow, allow);
  if (writer)
    throw new StorageError(
      `${writer.at} is ${writer.who}: the secret ${file} is not written there`,
      'shared-folder',
      'Name a file in a folder only root can change (e.g. /var/lib/blueprint/recovery-key.txt, then copy it off the box); nothing was written there.',
    );
  return first;
}
