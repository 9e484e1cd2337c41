import type { ObjectEncodingOptions, PathLike, RmOptions } from 'node:fs';
import path from 'node:path';
import { StorageError, storageErrorFrom } from '../errors.js';

/**
 * The few file calls `service start` makes before its create request (the registration, the
 * admission's and the plan's reads, /proc and /sys files): small local files, read with node:fs's
 * synchronous calls and handed back as settled promises (the callers' code and errors stay as they
 * were). Not node:fs/promises: loading it pulls in readline, the REPL history, fs watchers and the
 * FileHandle class, ~1.5 ms of CPU at every start (issue 20). Not node:fs's callbacks either: the
 * first of them starts libuv's thread pool, whose four threads must each have run before the call
 * goes on, and each answer is a wake-up of the main thread; on a busy box every one of those waits
 * for a core (8 ms of `readdir` in CPU profiles of `service start` beside others' jobs, ~1.5 ms
 * quiet), where the synchronous call takes microseconds.
 */
const fs = () => process.getBuiltinModule('node:fs');

/** The call's value, or its error, as a promise. */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}

export const readText = (file: PathLike): Promise<string> => settled(() => fs().readFileSync(file, 'utf8'));

export const readdir = (
  dir: PathLike,
  opts: ObjectEncodingOptions & { recursive?: boolean } = {},
): Promise<string[]> => settled(() => fs().readdirSync(dir, { ...opts, encoding: 'utf8' }));

export const realpath = (p: PathLike): Promise<string> => settled(() => fs().realpathSync.native(p));

export const access = (p: PathLike, mode?: number): Promise<void> => settled(() => fs().accessSync(p, mode));

export const rm = (p: PathLike, opts: RmOptions): Promise<void> => settled(() => fs().rmSync(p, opts));

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
 * ensureDir (system/fs.ts) with synchronous calls, for the services' folders on the way to a start
 * (above: why synchronous). Not in system/fs.ts: that is in the executable's start part, whose
 * budget has no room for it; nor in a file of its own, which would cost the start part's table of
 * the lazy part's modules an entry (~150 bytes). One level at a time, not
 * mkdirSync's recursion, which spins for ever, at 100 % CPU and inside one call, where mkdir answers
 * ENOENT for a parent that exists (/proc). A folder made here is synced, then its parent: else a
 * power cut can lose it with all that a commit wrote in it. A folder that was there costs nothing.
 * A link to a folder at a name is taken, as by ensureDir (why that is safe: its comment): the
 * services' folders (run/blueprint/services, var/lib/blueprint/modules and .owners, the seccomp and
 * log folders) are made in folders of root's; a module's container can write inside its own data
 * folder, never in the folder that holds it.
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
      // A dangling link at the name: refused as a file is, typed (its stat's ENOENT was thrown raw).
      if (
        (err as NodeJS.ErrnoException).code !== 'EEXIST' ||
        !fs().statSync(abs, { throwIfNoEntry: false })?.isDirectory()
      )
        throw storageErrorFrom(err, `creating ${dir}`);
      return;
    }
    syncDirSync(abs);
    syncDirSync(up);
  };
  make(path.resolve(dir));
}
