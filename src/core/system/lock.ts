import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '../errors.js';
import { ensureDir } from './fs.js';

/** The process exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Locks this process holds. A lock file naming this process's pid is stale (left by an earlier
 * process that had the same pid) unless it is in here: a long-running process (the web dashboard)
 * runs operations concurrently, and the second must wait its turn like another process would.
 */
const heldHere = new Set<string>();

/**
 * An exclusive lock file holding the owner's pid. A lock left by a process that no longer exists
 * (killed, crashed) is taken over, so a SIGKILL never wedges the package manager.
 */
export async function acquireLock(file: string, what: string): Promise<() => Promise<void>> {
  await ensureDir(path.dirname(file));
  const key = path.resolve(file);
  if (heldHere.has(key))
    throw new ConflictError(
      `Another ${what} is running in this process`,
      'locked',
      'Wait for it to finish, then try again.',
    );
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        await unlink(file).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (
        heldHere.has(key) ||
        (Number.isFinite(owner) && owner > 0 && owner !== process.pid && alive(owner))
      ) {
        throw new ConflictError(
          `Another ${what} is running (pid ${owner})`,
          'locked',
          `Wait for it to finish; if no such process exists, remove ${file}.`,
        );
      }
      await unlink(file).catch(() => {});
    }
  }
  throw new ConflictError(`Could not take the ${what} lock ${file}`, 'locked', 'Run the command again.');
}
