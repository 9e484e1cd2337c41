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
  /** Group-writable is ours alone when the group is our own (a private user group, umask 002). */
  ownGroupIsFine: boolean;
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
  if (st.mode & 0o020 && !(allow.ownGroupIsFine && st.gid === (process.getegid?.() ?? 0)))
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
