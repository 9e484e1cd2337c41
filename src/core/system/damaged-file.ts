import { StorageError } from '../errors.js';
import { readJsonIfExists } from './fs.js';
import { oneLine } from './one-line.js';

/**
 * A file blueprint keeps for itself that is not what it wrote: cut short (a disk fault; every
 * write is atomic, so not a power cut) or edited by hand. Named, with what to do (`hint`: the
 * file's own way back, where dropping it loses more than its contents), never reported as a bug.
 * A module of the command part: in system/fs.ts or errors.ts it would cost the start part
 * (test/perf/start-path) its bytes, ~600.
 */
export function damagedFile(file: string, why: unknown, hint?: string): StorageError {
  return new StorageError(
    `${file} is damaged: ${oneLine(why instanceof Error ? why.message : String(why))}`,
    'damaged-file',
    hint ??
      'Restore it from a backup; or move it aside, run the command again and set up again what it held (`bpkg repo add` for a repository).',
    { cause: why },
  );
}

/** readJsonIfExists for a file blueprint keeps: damagedFile (with `hint`) when it is not JSON. */
export function readKeptJson<T>(file: string, hint?: string): Promise<T | undefined> {
  return readJsonIfExists<T>(file).catch((err: unknown) => {
    throw err instanceof SyntaxError ? damagedFile(file, err, hint) : err;
  });
}
