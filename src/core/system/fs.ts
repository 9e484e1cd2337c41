import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom } from '../errors.js';

export async function ensureDir(dir: string, mode = 0o755): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
  } catch (err) {
    // Recursive mkdir reports ENOENT on a read-only file system; walk down to get the real errno.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      let at = path.parse(path.resolve(dir)).root;
      for (const part of path.resolve(dir).split(path.sep).filter(Boolean)) {
        at = path.join(at, part);
        try {
          await mkdir(at, { mode });
        } catch (inner) {
          if ((inner as NodeJS.ErrnoException).code !== 'EEXIST')
            throw storageErrorFrom(inner, `creating ${dir}`);
        }
      }
      return;
    }
    throw storageErrorFrom(err, `creating ${dir}`);
  }
}

/** fsync a directory so a rename inside it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write a file so readers see the old content or the new content, never a mix: write a temporary
 * sibling, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await ensureDir(dir);
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await syncDir(dir);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw storageErrorFrom(err, `writing ${file}`);
  }
}

export async function writeJsonAtomic(file: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await open(p, 'r').then((fh) => fh.close());
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EISDIR';
  }
}

export async function removeIfExists(p: string): Promise<void> {
  await unlink(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
