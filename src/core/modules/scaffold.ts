import { constants } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, NotFoundError, StorageError, storageErrorFrom, UsageError } from '../errors.js';
import { packageName } from '../pkg/format.js';
import { templateFiles } from './template/index.js';

export interface Scaffolded {
  name: string;
  dir: string;
  files: string[];
}

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = constants;

/** `name` inside the folder held open by `dir`, found by the kernel through the descriptor. */
const inDir = (dir: FileHandle, name = '') => `/proc/self/fd/${dir.fd}${name ? `/${name}` : ''}`;

function swapped(what: string): ConflictError {
  return new ConflictError(
    `${what} was replaced while the module was being written`,
    'module-temp-swapped',
    'Another user can change the folder it is in: make the module in a folder only you can write (e.g. under your home), then move it.',
  );
}

/** Why no folder could be made in `parent`, said plainly (it was 'ENOENT … mkdtemp', a 'bug'). */
async function parentError(err: unknown, parent: string): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') return new UsageError(`${parent} is not a folder`, 'Give --dir inside a folder.');
  if (code !== 'ENOENT') return storageErrorFrom(err, `creating the module in ${parent}`);
  // ENOENT for a folder that is there: a file system that holds no new folders (/proc).
  if (await lstat(parent).catch(() => undefined))
    return new StorageError(
      `Cannot create the module in ${parent}: ${parent} cannot hold folders`,
      'not-writable',
      'Give --dir on a writable disk.',
    );
  return new NotFoundError(
    `${parent} does not exist`,
    `Make it first (mkdir -p ${parent}), or give --dir inside a folder that exists.`,
  );
}

/**
 * Writes a new module folder from the template. The files go to a hidden sibling folder first and
 * are renamed into place at the end, so an interrupted run leaves no half-written module.
 *
 * The parent may be a folder other users write (a shared workspace). The sibling is therefore made
 * by mkdtemp (a random name, created exclusively: mkdir never follows a link at the name, mode
 * 0700 so nobody else can add to it) instead of at a name anyone could work out and plant a link
 * at; it is then held open with O_NOFOLLOW and checked to be the folder made, and every file is
 * written through that descriptor (/proc/self/fd/N/...), created with O_EXCL|O_NOFOLLOW. Before
 * and after the rename the entry is compared with the held folder, so a swap of the name for a
 * link or another folder is refused rather than moved into place; nothing planted is removed.
 */
export async function scaffoldModule(name: string, dir: string): Promise<Scaffolded> {
  const valid = packageName.safeParse(name);
  if (!valid.success)
    throw new UsageError(
      `"${name}" is not a valid module name: ${valid.error.issues[0]?.message}`,
      'Use lower-case letters, digits and dashes, e.g. `blueprint module new my-service`.',
    );
  const target = path.resolve(dir);
  const existing = await readdir(target).catch(async (err: NodeJS.ErrnoException) => {
    // The name itself a file (not a file on the way to it: that is the parent's error, below).
    if (err.code === 'ENOTDIR' && (await lstat(target).catch(() => undefined)))
      throw new ConflictError(
        `${target} already exists and is not a folder`,
        'module-exists',
        'Choose another folder with --dir DIR.',
      );
    return undefined;
  });
  if (existing && existing.length > 0)
    throw new ConflictError(
      `${target} already exists and is not empty`,
      'module-exists',
      'Choose another folder with --dir DIR, or remove that one first.',
    );
  const parent = path.dirname(target);
  const tmp = await mkdtemp(path.join(parent, `.${path.basename(target)}.new-`)).catch(async (err) => {
    throw await parentError(err, parent);
  });
  const top = await open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch((err) => {
    // ELOOP / ENOTDIR: the new name already leads elsewhere (a link); left where it is.
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ELOOP' || code === 'ENOTDIR' ? swapped(tmp) : err;
  });
  let moved = false;
  let ours = false;
  try {
    // Ours and 0700 as mkdtemp made it: another user cannot make such a folder in its place.
    const made = await top.stat();
    if (made.uid !== (process.geteuid?.() ?? made.uid) || (made.mode & 0o077) !== 0) throw swapped(tmp);
    ours = true;
    const isMade = async (p: string) => {
      const st = await lstat(p).catch(() => undefined);
      return st?.isDirectory() === true && st.ino === made.ino && st.dev === made.dev;
    };
    const files = templateFiles(name);
    for (const f of files) {
      const parent = path.posix.dirname(f.path);
      // Recursive, and fine: inside `top`, our own mkdtemp folder (checked above: ours, 0700), named
      // by the template's own paths.
      if (parent !== '.') await mkdir(inDir(top, parent), { recursive: true, mode: 0o755 });
      // The template's mode less the umask, as writeFile({ mode }) gave it before.
      const fh = await open(inDir(top, f.path), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, f.mode);
      try {
        await fh.writeFile(f.content);
      } finally {
        await fh.close();
      }
    }
    await top.chmod(0o755); // an ordinary folder once in place (through the descriptor, not the name)
    if (existing) {
      // Empty when read above: a folder is removed only while still empty, a link itself unlinked.
      const st = await lstat(target);
      if (st.isDirectory()) await rmdir(target);
      else await unlink(target);
    }
    if (!(await isMade(tmp))) throw swapped(tmp);
    await rename(tmp, target);
    moved = true;
    if (!(await isMade(target))) throw swapped(target);
    return { name, dir: target, files: files.map((f) => f.path) };
  } finally {
    // Removed only while its name still leads to the folder made (never a link or folder planted).
    if (ours && !moved) {
      const st = await lstat(tmp).catch(() => undefined);
      const own = await top.stat().catch(() => undefined);
      if (st?.isDirectory() && own && st.ino === own.ino && st.dev === own.dev)
        await rm(tmp, { recursive: true, force: true });
    }
    await top.close();
  }
}
