import path from 'node:path';
import { StorageError, storageErrorFrom } from '../errors.js';

const fs = () => process.getBuiltinModule('node:fs');

function syncDirSync(dir: string): void {
  const f = fs();
  const fd = f.openSync(dir, f.constants.O_RDONLY | f.constants.O_DIRECTORY);
  try {
    f.fsyncSync(fd);
  } finally {
    f.closeSync(fd);
  }
}

/**
 * ensureDir (fs.ts) with synchronous calls, for the services' folders on the way to a start, where
 * a trip through the thread pool waits for a core on a busy box (services/fs-cb.ts). Not in fs.ts:
 * that is in the executable's start part, whose budget has no room for it. One level at a time, not
 * mkdirSync's recursion, which spins for ever, at 100 % CPU and inside one call, where mkdir answers
 * ENOENT for a parent that exists (/proc). A folder made here is synced, then its parent: else a
 * power cut can lose it with all that a commit wrote in it. A folder that was there costs nothing.
 */
export function ensureDirSync(dir: string, mode = 0o755): void {
  const make = (abs: string): void => {
    const up = path.dirname(abs);
    try {
      try {
        fs().mkdirSync(abs, { mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || up === abs) throw err;
        make(up);
        try {
          fs().mkdirSync(abs, { mode });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          throw new StorageError(
            `Cannot create ${dir}: ${up} cannot hold folders`,
            'not-writable',
            'Give a folder on a writable disk (check --root).',
          );
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs().statSync(abs).isDirectory())
        throw storageErrorFrom(err, `creating ${dir}`);
      return;
    }
    syncDirSync(abs);
    syncDirSync(up);
  };
  make(path.resolve(dir));
}
