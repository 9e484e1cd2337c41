import { StorageError } from '../errors.js';
import { oneLine } from './one-line.js';
import { readStateJson } from './state-file.js';

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

/**
 * A file blueprint keeps, read as the file itself (state-file.ts: no link, no FIFO, bounded):
 * damagedFile (with `hint`) when it is not JSON.
 */
export function readKeptJson<T>(file: string, hint?: string): Promise<T | undefined> {
  return readStateJson<T>(file).catch((err: unknown) => {
    throw err instanceof SyntaxError ? damagedFile(file, err, hint) : err;
  });
}

/**
 * readKeptJson for a file that holds one object: also damagedFile when it is JSON of another shape
 * (`[]`, `null`, a field of the wrong type: `fits` says which it must have), which would otherwise
 * fail later as a property's TypeError, or be taken for an empty record.
 */
export async function readKeptObject<T extends object>(
  file: string,
  fits: (o: Record<string, unknown>) => boolean,
  hint?: string,
): Promise<T | undefined> {
  const v = await readKeptJson<unknown>(file, hint);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !fits(v as Record<string, unknown>))
    throw damagedFile(file, 'not what blueprint writes there', hint);
  return v as T;
}
