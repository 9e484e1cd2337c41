import { StorageError } from '../errors.js';
import type { atBeneath } from './beneath.js';
import { type BoundedRead, readBoundedFile, type Unread } from './read-bounded.js';
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
 * Trees whose state files are read through descriptors: another user's tree that `status` reads
 * (app/system.ts boxStatus). Its state folders were walked without a link, but a file below them
 * read by name followed a link further down (TREE/var/lib/blueprint/services/NAME swapped for a link
 * out had that folder's registration shown as the tree's service: test/security/status-tree-state-
 * files). Given beneath.ts's atBeneath by the caller: this module, on the start path, imports
 * nothing more.
 */
const trees = new Map<string, typeof atBeneath>();

/** From now on in this process, every state file under `root` is read through `at`'s descriptors. */
export function readStatesBeneath(root: string, at: typeof atBeneath): void {
  const tree = root.replace(/\/+$/, '');
  if (tree !== '') trees.set(tree, at); // The box's own / reads as before.
}

/** `file` read as below, or through the descriptors of the tree it is in (readStatesBeneath). */
async function readState(file: string, opts: { now?: boolean }): Promise<BoundedRead | undefined> {
  for (const [root, at] of trees) {
    if (!file.startsWith(`${root}/`)) continue;
    const r = await at(root, file.slice(root.length + 1), (name) => readBoundedFile(name, STATE_MAX, opts));
    if (r.ok) return r.value;
    if (r.why === 'missing') return undefined;
    throw notAStateFile(`${root}/${r.at}`, r.why === 'link' ? 'a symbolic link' : 'not a folder');
  }
  return readBoundedFile(file, STATE_MAX, opts);
}

/**
 * `read` given where `p` is: `p` itself (`beneath` false) on a root read by name, or, below a tree
 * read through descriptors (readStatesBeneath), `/proc/self/fd/N/NAME` in its folder held open with
 * no link of the tree followed on the way (`beneath` true: `read` judges the name itself, links not
 * followed). For registry.ts's listings and `current` links: a folder of such a tree swapped for a
 * link (opt/blueprint/NAME -> elsewhere) had that folder's versions judge the tree's services
 * (test/security/status-tree-listings). `missing` where a folder on the way is not there; a link or
 * not-a-folder on the way refused, named, as a state file's folder is.
 */
export async function atStatePath<R>(
  p: string,
  read: (at: string, beneath: boolean) => R | Promise<R>,
  missing: R,
): Promise<R> {
  for (const [root, at] of trees) {
    if (!p.startsWith(`${root}/`)) continue;
    const r = await at(root, p.slice(root.length + 1), async (name) => read(name, true));
    if (r.ok) return r.value;
    if (r.why === 'missing') return missing;
    throw notAStateFile(`${root}/${r.at}`, r.why === 'link' ? 'a symbolic link' : 'not a folder');
  }
  return read(p, false);
}

/** Whether `p` is below a tree whose state is read through descriptors (readStatesBeneath). */
export const readBeneath = (p: string): boolean => [...trees.keys()].some((root) => p.startsWith(`${root}/`));

/** A link at `at` (/proc/self/fd/N/NAME) refused, named `shown`: it is not blueprint's. */
export function refuseLink(at: string, shown: string): void {
  if (process.getBuiltinModule('node:fs').lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink())
    throw notAStateFile(shown, 'a symbolic link');
}

/**
 * The names in the state folder `dir`: `byName(dir)` on a root read by name; below a tree read
 * through descriptors (readStatesBeneath), the folder opened O_NOFOLLOW in its parent held open, []
 * where it is not there (or is not a folder). A link at its name or on the way is refused, named:
 * its listing would be another folder's (registry.ts's registrations, repo-config.ts's
 * repositories: test/security/status-tree-listings, status-tree-repos).
 */
export function stateFolderNames(dir: string, byName: (dir: string) => Promise<string[]>): Promise<string[]> {
  return atStatePath(
    dir,
    (at, beneath) => {
      if (!beneath) return byName(at);
      const fs = process.getBuiltinModule('node:fs');
      const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
      let fd: number;
      try {
        fd = fs.openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') throw err;
        refuseLink(at, dir);
        return [];
      }
      try {
        return fs.readdirSync(`/proc/self/fd/${fd}`);
      } finally {
        fs.closeSync(fd);
      }
    },
    [] as string[],
  );
}

/**
 * The text of the state file `file`, or undefined when there is none (ENOENT). `now`: read with
 * node:fs's synchronous calls (read-bounded.ts BoundedOptions.now), for a command's small files.
 */
export async function readStateText(file: string, opts: { now?: boolean } = {}): Promise<string | undefined> {
  const r = await readState(file, opts);
  if (r === undefined) return undefined;
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
