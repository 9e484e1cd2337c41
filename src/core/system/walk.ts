/**
 * Files to hand to a module (`blueprint rag ingest PATH...`): the paths an admin names, and the
 * files below the folders among them, by extension. The walk never leaves a folder it was given:
 * a symbolic link below it is taken only when its target, resolved on the real filesystem, is a
 * regular file inside that folder (a link to /etc/shadow in a shared folder is refused, not sent
 * to a service); links to folders are not descended (their target is walked anyway when it is
 * inside, and a loop cannot form). The links on a path named directly are followed only where the
 * admin's: in a folder no one but root (or we) can change (namedRealPath).
 *
 * Each file is then read once (`readFound`): opened with O_NOFOLLOW|O_NONBLOCK (no link swapped
 * in after the walk, no FIFO to hang on), and it must still be the regular file the walk saw
 * (same device and inode) at the path the walk named, at most `maxBytes` long.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, opendir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import { namedRealPath } from './named-path.js';
import { pathOfFd, readBoundedFile } from './read-bounded.js';

export interface FoundFile {
  /** The file to open: a real path (no link in it) when found by the walk. */
  path: string;
  /** How it is named to the user and the module: the folder's name and the path below it, or the path given. */
  name: string;
  /** Its extension, lower case, with the dot (`.md`). */
  ext: string;
  dev: number;
  ino: number;
}

/** Something named or found that is not sent: why, as an error with a hint. */
export interface Refused {
  name: string;
  error: BlueprintError;
}

const refuse = (name: string, message: string, code: string, hint?: string): Refused => ({
  name,
  error: new VerificationError(message, code, hint),
});

/** Entries a folder's stream reads ahead (opendir's bufferSize; its default is 32). */
const DIR_BUFFER = 128;

/** The types of passed-over files a summary names; one more is kept to say there are more. */
const PASSED_OVER_TYPES = 5;

interface PassedOver {
  n: number;
  types: Set<string>;
}

const inside = (base: string, p: string) => p === base || p.startsWith(base + path.sep);

/**
 * The files to send, in a stable order (each argument in turn, a folder's entries sorted by name;
 * each folder read as a stream, walk), and what was refused. A named file with another extension
 * is refused (the admin asked for it); a folder's other files are passed over silently. A missing
 * argument is refused, not fatal.
 */
export async function collectFiles(
  paths: string[],
  extensions: readonly string[],
): Promise<{
  files: FoundFile[];
  refused: Refused[];
  passedOver: number;
  passedOverTypes: string[];
  passedOverTypesMore?: true;
}> {
  const files: FoundFile[] = [];
  const refused: Refused[] = [];
  // Files of other types below the folders: counted (not kept), for the summary to say, with their
  // first types (lower-case extensions, '' for none): PASSED_OVER_TYPES + 1 at most, to tell "more".
  const other: PassedOver = { n: 0, types: new Set() };
  const wanted = (name: string) => extensions.includes(path.extname(name).toLowerCase());
  for (const given of paths) {
    let real: string;
    let st: Stats;
    try {
      real = await namedRealPath(given);
      st = await lstat(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      refused.push({
        name: given,
        error:
          err instanceof VerificationError
            ? err
            : code === 'ENOENT'
              ? new NotFoundError(`${given}: no such file or folder`)
              : new BlueprintError(`${given}: ${(err as Error).message}`, 'unreadable'),
      });
      continue;
    }
    if (st.isDirectory()) {
      // Named as the admin sees it (a folder reached through a link keeps the link's name).
      await walk(real, real, path.basename(path.resolve(given)) || real, files, refused, wanted, other);
    } else if (!st.isFile()) {
      refused.push(refuse(given, `${given} is not a regular file`, 'not-a-file'));
    } else if (!wanted(given)) {
      refused.push({
        name: given,
        error: new UsageError(
          `${given}: not a type this command sends (${extensions.join(' ')})`,
          'Convert it to one of these, or leave it out.',
        ),
      });
    } else {
      files.push({
        path: real,
        name: given,
        ext: path.extname(given).toLowerCase(),
        dev: st.dev,
        ino: st.ino,
      });
    }
  }
  // Sorted, files with no extension ('') last.
  const types = [...other.types].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return {
    files,
    refused,
    passedOver: other.n,
    passedOverTypes: types.slice(0, PASSED_OVER_TYPES),
    ...(types.length > PASSED_OVER_TYPES ? { passedOverTypesMore: true as const } : {}),
  };
}

async function walk(
  base: string,
  dir: string,
  shown: string,
  files: FoundFile[],
  refused: Refused[],
  wanted: (name: string) => boolean,
  other: PassedOver,
): Promise<void> {
  const entries: Dirent[] = [];
  try {
    // A folder swapped for a link since its parent was read would lead elsewhere: not followed.
    if ((await realpath(dir)) !== dir)
      return void refused.push(refuse(shown, `${shown} was replaced by a link while it was read`, 'changed'));
    // Read as a stream, a bounded buffer of entries at a time, keeping only what is used (folders,
    // names of the types sent): a folder of a million other files is never one array of a million
    // entries. The iterator closes the folder when done or on an error.
    for await (const entry of await opendir(dir, { bufferSize: DIR_BUFFER }))
      if (entry.isDirectory() || wanted(entry.name)) entries.push(entry);
      else {
        other.n++;
        if (other.types.size <= PASSED_OVER_TYPES) other.types.add(path.extname(entry.name).toLowerCase());
      }
  } catch (err) {
    refused.push({
      name: shown,
      error: new BlueprintError(`${shown}: ${(err as Error).message}`, 'unreadable'),
    });
    return;
  }
  // Sorted once read (the stream's order is the filesystem's): the same order as ever.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const name = `${shown}/${entry.name}`;
    if (entry.isDirectory()) {
      await walk(base, full, name, files, refused, wanted, other);
      continue;
    }
    if (entry.isSymbolicLink()) {
      const target = await realpath(full).catch(() => undefined);
      if (!target || !inside(base, target)) {
        refused.push(
          refuse(
            name,
            `${name} is a link that leads out of the folder being sent (or nowhere)`,
            'link-outside',
            'Copy the file into the folder if it should be sent.',
          ),
        );
        continue;
      }
      const st = await lstat(target);
      if (st.isFile())
        files.push({
          path: target,
          name,
          ext: path.extname(entry.name).toLowerCase(),
          dev: st.dev,
          ino: st.ino,
        });
      continue;
    }
    if (!entry.isFile()) {
      refused.push(refuse(name, `${name} is not a regular file`, 'not-a-file'));
      continue;
    }
    const st = await lstat(full);
    files.push({ path: full, name, ext: path.extname(entry.name).toLowerCase(), dev: st.dev, ino: st.ino });
  }
}

/**
 * The bytes of a file the walk found, read once (read-bounded.ts): never through a link at its name,
 * never blocking on a FIFO, at most `maxBytes`, and only the regular file the walk saw (same device
 * and inode) at the real path the walk named. The last check is for a folder on the way swapped for
 * a link during the walk: the walk's own lstat then went through it too, so the inode alone would
 * match the file it leads to.
 */
export async function readFound(file: FoundFile, maxBytes: number): Promise<Buffer> {
  const r = await readBoundedFile(file.path, maxBytes, {
    accept: (st, fd) => st.dev === file.dev && st.ino === file.ino && pathOfFd(fd) === file.path,
  });
  if (r.ok) return r.bytes;
  if (r.why === 'open') {
    if (r.error.code === 'ELOOP')
      throw new VerificationError(
        `${file.name} was replaced by a link after it was found`,
        'changed',
        'Run the command again; links are never followed, name the file they lead to instead.',
      );
    throw new BlueprintError(
      `${file.name}: ${r.error.message}`,
      'unreadable',
      'Check that the file can be read (its permissions), or leave it out.',
    );
  }
  if (r.why === 'too-large')
    throw new UsageError(
      `${file.name} is ${mib(r.stat.size)}, more than the ${mib(maxBytes)} sent at most`,
      'Split it into smaller files.',
    );
  if (r.why === 'grew')
    throw new VerificationError(`${file.name} grew while it was read`, 'changed', 'Run the command again.');
  throw new VerificationError(
    `${file.name} was replaced after it was found`,
    'changed',
    'Run the command again.',
  );
}

/** A size as people read it here, in MiB (as the limits are set): `67 MiB`, `1.5 MiB`. */
export const mib = (n: number) => {
  const m = n / 1024 ** 2;
  return `${m >= 10 ? Math.round(m) : Number(m.toFixed(1))} MiB`;
};
