import { readFile } from 'node:fs/promises';
import { NotFoundError, UsageError } from '../app/index.js';

/**
 * The text of a file the admin named on the command line (`-`: standard input). A name that does
 * not lead to a readable file is the admin's to fix, said as such: a missing file is not found
 * (exit 3), a folder or an unreadable file bad usage (exit 2), never an internal error.
 */
export async function readNamedFile(file: string, hint: string): Promise<string> {
  try {
    return await readFile(file === '-' ? '/dev/stdin' : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new NotFoundError(`Cannot read ${file}: no such file`, hint);
    const why =
      code === 'EISDIR'
        ? 'a folder, not a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (code ?? (err as Error).message);
    throw new UsageError(`Cannot read ${file}: ${why}`, hint);
  }
}
