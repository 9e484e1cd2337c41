import { StorageError } from '../errors.js';
import { readBoundedFile, type Unread } from './read-bounded.js';
import { shellWord } from './shell-word.js';

/**
 * The files blueprint keeps for itself under a root (installed.json, the file lists, the journal,
 * the repositories' configurations and states, restart records, the network choices): read as the
 * files themselves (read-bounded.ts: a link at the name is not followed, a FIFO not waited on, a
 * device never opened, at most STATE_MAX bytes). Every one is written by renaming a new regular
 * file over its name, so anything else there was put by someone else: under `--root TREE`, a tree
 * another user could change (an image mounted to inspect), a link to a host file had root read it
 * as the tree's and a FIFO held the command for good (test/security/root-tree-owner). Refused,
 * typed (StorageError `not-a-state-file`, exit 7), the file named. Absent: undefined.
 */
export const STATE_MAX = 64 * 1024 * 1024;

const what = (u: Unread): string => {
  if (u.why === 'open') return u.error.code === 'ELOOP' ? 'a symbolic link' : '';
  if (u.why === 'too-large') return `larger than ${STATE_MAX / 1024 / 1024} MiB`;
  if (u.why === 'grew') return 'growing while it was read';
  const st = u.stat;
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a folder';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
};

/** The error for a state file found to be something other than the file blueprint writes. */
export function notAStateFile(file: string, shape: string): StorageError {
  return new StorageError(
    `${file} is ${shape}, not the file blueprint writes there: it was not read`,
    'not-a-state-file',
    `Something other than blueprint put it there. Check what it is (\`ls -l ${shellWord(file)}\`), move it aside, and restore the file from a backup; a tree another user can change is not a box to act on.`,
  );
}

/**
 * The text of the state file `file`, or undefined when there is none (ENOENT). `now`: read with
 * node:fs's synchronous calls (read-bounded.ts BoundedOptions.now), for a command's small files.
 */
export async function readStateText(file: string, opts: { now?: boolean } = {}): Promise<string | undefined> {
  const r = await readBoundedFile(file, STATE_MAX, opts);
  if (r.ok) return r.bytes.toString('utf8');
  if (r.why === 'open') {
    if (r.error.code === 'ENOENT') return undefined;
    if (r.error.code !== 'ELOOP') throw r.error;
  }
  throw notAStateFile(file, what(r));
}

/** readStateText parsed as JSON (a SyntaxError thrown as JSON.parse's: callers name it damaged). */
export async function readStateJson<T>(file: string): Promise<T | undefined> {
  const text = await readStateText(file);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
