/**
 * Who besides root and this process could change a folder: what makes a secret written there, or a
 * file published from there, someone else's to delete, swap or rename. One judgement for the places
 * that need it, each saying which of the two allowances below it grants: safe-write.ts (a secret's
 * folders; whose links are followed), pkg/publish-folders.ts (a published repository), and through
 * src/app: repo keygen's folder (app/publish.ts), the console's code cache (tui/code-cache.ts), the
 * dashboard's run folder (web/index.ts). Built-ins only: the console loads it before anything else.
 */
import path from 'node:path';

export interface WriterAllowances {
  /** A sticky folder (/tmp): others may add names there, but not remove or rename ours. */
  stickyIsFine: boolean;
  /** Group-writable is ours alone when the group is our own and private (a user group, umask 002). */
  ownGroupIsFine: boolean;
}

/**
 * A folder's stat, synchronous under a promise: not node:fs/promises, which the service start path
 * (context.ts's tree check) would load with readline and the fs watchers at every start
 * (test/services/start-modules); node:fs is loaded already, and a stat takes microseconds.
 */
const stat = async (p: string) => process.getBuiltinModule('node:fs').statSync(p);

/** Where the accounts are read and how they are looked up (tests point these at their own). */
export const accountFiles = {
  passwd: '/etc/passwd',
  group: '/etc/group',
  nsswitch: '/etc/nsswitch.conf',
  /** systemd's userdb drop-ins (nss-systemd reads them: `USER:GROUP.membership`, records). */
  userdb: ['/etc/userdb', '/run/userdb', '/run/host/userdb', '/usr/local/lib/userdb', '/usr/lib/userdb'],
};
const privateGroups = new Map<string, boolean>();

/** The NSS sources glibc asks for `db` (nsswitch.conf; none there: files). */
function nssSources(text: string | undefined, db: string): string[] | undefined {
  const line = text
    ?.split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .find((l) => l.startsWith(`${db}:`));
  if (line === undefined) return undefined;
  return line
    .slice(db.length + 1)
    .replace(/\[[^\]]*\]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * Whether group `gid` has no one in it but us: no other account's primary group (passwd) and no
 * other member (group). Our own group is not always a private one: a team's shared primary group
 * with umask 002, or `users` for everyone, lets every member change the folder
 * (test/security/own-group-shared). A group the file does not list (a directory service's) or a
 * NIS compat line (members from elsewhere) is not known to be private: not ours alone.
 *
 * Read as glibc reads them: every group line of that gid counts (groupadd -o gives one gid two
 * names, and a member of either has it), a numeric field as strtoul reads it (a space or + before
 * it), a NIS compat line in passwd too. Only where nsswitch.conf looks accounts, groups and
 * supplementary groups (initgroups) up in files, compat or systemd with no userdb drop-in: any other
 * source (sss, ldap, winbind, nis, extrausers...) can add members the files do not show, so such a
 * box's group is not known to be private. Not read: systemd-homed's records (their memberOf), and
 * what root gives a process itself (a unit's SupplementaryGroups=).
 */
function privateGroup(gid: number): boolean {
  const fs = process.getBuiltinModule('node:fs');
  // Remembered while the files stay as they were (a long-running dashboard sees a member added).
  const version = (file: string) => {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${file}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : file;
  };
  const key = [accountFiles.passwd, accountFiles.group, accountFiles.nsswitch, ...accountFiles.userdb]
    .map(version)
    .concat(String(gid))
    .join('\0');
  const known = privateGroups.get(key);
  if (known !== undefined) return known;
  const me = process.geteuid?.() ?? 0;
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const id = (s: string | undefined) => (s !== undefined && /^\s*\+?\d+$/.test(s) ? Number(s.trim()) : -1);
  const passwd = read(accountFiles.passwd)?.split('\n');
  const group = read(accountFiles.group)?.split('\n');
  let ok = false;
  if (
    passwd &&
    group &&
    !passwd.some((l) => /^[+-]/.test(l)) &&
    !group.some((l) => /^[+-]/.test(l)) &&
    nssFilesOnly()
  ) {
    const users = passwd.map((l) => l.split(':'));
    const myName = users.find((f) => id(f[2]) === me)?.[0];
    const entries = group.map((l) => l.split(':')).filter((f) => id(f[2]) === gid);
    const members = entries
      .flatMap((f) => (f[3] ?? '').split(','))
      .map((m) => m.trim())
      .filter(Boolean);
    ok =
      entries.length > 0 &&
      members.every((m) => m === myName) &&
      !users.some((f) => id(f[3]) === gid && id(f[2]) !== me);
  }
  privateGroups.set(key, ok);
  return ok;
}

/** Whether glibc finds accounts and groups only where privateGroup reads them (see there). */
function nssFilesOnly(): boolean {
  const fs = process.getBuiltinModule('node:fs');
  let text: string | undefined;
  try {
    text = fs.readFileSync(accountFiles.nsswitch, 'utf8');
  } catch (err) {
    // None: glibc looks in files (and musl has no NSS).
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  const group = nssSources(text, 'group') ?? ['files'];
  const sources = [
    ...(nssSources(text, 'passwd') ?? ['files']),
    ...group,
    ...(nssSources(text, 'initgroups') ?? group),
  ];
  if (!sources.every((s) => s === 'files' || s === 'compat' || s === 'systemd')) return false;
  if (!sources.includes('systemd')) return true;
  // nss-systemd: its drop-ins can make anyone a member of any group.
  return accountFiles.userdb.every((dir) => {
    try {
      return fs.readdirSync(dir).length === 0;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT';
    }
  });
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
