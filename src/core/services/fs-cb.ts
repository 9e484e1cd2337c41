import type { ObjectEncodingOptions, PathLike, RmOptions } from 'node:fs';

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
