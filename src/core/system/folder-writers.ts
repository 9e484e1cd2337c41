/**
 * Who besides root and this process could change a folder: what makes a secret written there, or a
 * file published from there, someone else's to delete, swap or rename. One judgement for the places
 * that need it, each saying which of the two allowances below it grants: safe-write.ts (a secret's
 * folders; whose links are followed), pkg/publish-folders.ts (a published repository), and through
 * src/app: repo keygen's folder (app/publish.ts), the console's code cache (tui/code-cache.ts), the
 * dashboard's run folder (web/index.ts). Built-ins only: the console loads it before anything else.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface WriterAllowances {
  /** A sticky folder (/tmp): others may add names there, but not remove or rename ours. */
  stickyIsFine: boolean;
  /** Group-writable is ours alone when the group is our own and private (a user group, umask 002). */
  ownGroupIsFine: boolean;
}

/** Where the accounts are read (tests point these at their own). */
export const accountFiles = { passwd: '/etc/passwd', group: '/etc/group' };
const privateGroups = new Map<string, boolean>();

/**
 * Whether group `gid` has no one in it but us: no other account's primary group (passwd) and no
 * other member (group). Our own group is not always a private one: a team's shared primary group
 * with umask 002, or `users` for everyone, lets every member change the folder
 * (test/security/own-group-shared). A group the file does not list (a directory service's) or a
 * NIS compat line (members from elsewhere) is not known to be private: not ours alone.
 */
function privateGroup(gid: number): boolean {
  const fs = process.getBuiltinModule('node:fs');
  // Remembered while the files stay as they were (a long-running dashboard sees a member added).
  const version = (file: string) => {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${file}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : file;
  };
  const key = `${version(accountFiles.passwd)}\0${version(accountFiles.group)}\0${gid}`;
  const known = privateGroups.get(key);
  if (known !== undefined) return known;
  const me = process.geteuid?.() ?? 0;
  const lines = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').split('\n');
    } catch {
      return undefined;
    }
  };
  const id = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : -1);
  const passwd = lines(accountFiles.passwd)?.map((l) => l.split(':'));
  const group = lines(accountFiles.group);
  let ok = false;
  if (passwd && group && !group.some((l) => /^[+-]/.test(l))) {
    const myName = passwd.find((f) => id(f[2]) === me)?.[0];
    const entry = group.map((l) => l.split(':')).find((f) => id(f[2]) === gid);
    const members = (entry?.[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    ok =
      entry !== undefined &&
      members.every((m) => m === myName) &&
      !passwd.some((f) => id(f[3]) === gid && id(f[2]) !== me);
  }
  privateGroups.set(key, ok);
  return ok;
}

/** Who else could change the folder `st` describes, or undefined: only root or we can. */
export function otherWriter(
  st: { uid: number; gid: number; mode: number },
  allow: WriterAllowances,
): string | undefined {
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) return `owned by uid ${st.uid}`;
  if (allow.stickyIsFine && st.mode & 0o1000) return undefined;
  if (st.mode & 0o002) return 'writable by all users';
  if (
    st.mode & 0o020 &&
    !(allow.ownGroupIsFine && st.gid === (process.getegid?.() ?? 0) && privateGroup(st.gid))
  )
    return `writable by group ${st.gid}`;
  return undefined;
}

/**
 * The first folder from `real` (a real path, links resolved) up to / that someone else could
 * change, and who: whoever can change one can rename what lies below it away and put their own
 * folder at its name. Undefined when only root or we can change every one of them.
 */
export async function otherWriterOnTheWay(
  real: string,
  allow: WriterAllowances,
): Promise<{ at: string; who: string } | undefined> {
  for (let at = real; ; at = path.dirname(at)) {
    const who = otherWriter(await stat(at), allow);
    if (who) return { at, who };
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * Who else could change the folder at `real` (a real path; `st` its stat, as the caller holds it
 * open), judged with `here`, or any folder above it, judged with `above`: the folders above may be
 * sticky (/tmp), for others cannot move what is ours out of one.
 */
export async function otherWriterAtOrAbove(
  real: string,
  st: { uid: number; gid: number; mode: number },
  here: WriterAllowances,
  above: WriterAllowances,
): Promise<{ at: string; who: string } | undefined> {
  const who = otherWriter(st, here);
  return who ? { at: real, who } : otherWriterOnTheWay(path.dirname(real), above);
}
