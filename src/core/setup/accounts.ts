import { ConflictError } from '../errors.js';
import type { UserSpec } from './schema.js';

/**
 * User accounts are added by editing passwd/group/shadow/gshadow directly, the way systemd-sysusers
 * does, for every root: the same code then serves an image being built in a directory and a live
 * box, tests can check the exact lines, and no `useradd` chroot into a half-built tree is needed.
 * Accounts that exist are never renumbered; accounts not named in the spec are left alone.
 */
export interface AccountFiles {
  passwd: string;
  group: string;
  shadow: string;
  /** Debian keeps one; undefined when the root has none (then none is created). */
  gshadow?: string;
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const ADMIN_GROUP = 'sudo';
const FIRST_UID = 1000;
const LAST_UID = 59999;

type Table = string[][];
const parse = (text: string): Table =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(':'));
const render = (t: Table): string => t.map((f) => f.join(':')).join('\n') + (t.length ? '\n' : '');
const find = (t: Table, name: string) => t.find((f) => f[0] === name);

function members(row: string[], index: number): string[] {
  return (row[index] ?? '').split(',').filter(Boolean);
}

function setMember(row: string[], index: number, user: string, present: boolean): void {
  while (row.length <= index) row.push('');
  const list = members(row, index).filter((m) => m !== user);
  if (present) list.push(user);
  row[index] = list.join(',');
}

function freeId(used: Set<number>, from: number, to: number, step: 1 | -1): number {
  for (let id = from; step > 0 ? id <= to : id >= to; id += step) if (!used.has(id)) return id;
  throw new Error(`no free id between ${from} and ${to}`);
}

/**
 * Whether an existing account is a person's, in the range setup (and Debian's useradd) gives. One
 * outside it is a system account (proxy, www-data, systemd-network…): taking it as the spec's user
 * would open its locked password to key logins, give it sudo, and make its home from passwd (/bin,
 * /var/www, /) a folder it owns, removing what was there (/bin is a link on Debian 12).
 */
function isPersonal(row: string[]): boolean {
  const uid = Number(row[2]);
  return Number.isInteger(uid) && uid >= FIRST_UID && uid <= LAST_UID;
}

function systemAccount(name: string, row: string[]): ConflictError {
  return new ConflictError(
    `user ${name} is a system account of this box (uid ${row[2]}, home ${row[5] || '?'}); setup manages only people's accounts (uid ${FIRST_UID}-${LAST_UID})`,
    'system-account',
    'Choose another user name (e.g. "admin"); nothing was written.',
  );
}

/** Returns the files with the spec's users present (and admins in the sudo group), and each account. */
export function planAccounts(
  current: AccountFiles,
  users: UserSpec[],
): { files: AccountFiles; accounts: Account[] } {
  const passwd = parse(current.passwd);
  const group = parse(current.group);
  const shadow = parse(current.shadow);
  const gshadow = current.gshadow === undefined ? undefined : parse(current.gshadow);
  const usedUids = new Set(passwd.map((f) => Number(f[2])));
  const usedGids = new Set(group.map((f) => Number(f[2])));

  if (users.some((u) => u.admin) && !find(group, ADMIN_GROUP)) {
    // Debian's sudo group is gid 27; a bare root may lack it.
    const gid = usedGids.has(27) ? freeId(usedGids, 999, 100, -1) : 27;
    usedGids.add(gid);
    group.push([ADMIN_GROUP, 'x', String(gid), '']);
    gshadow?.push([ADMIN_GROUP, '*', '', '']);
  }

  const accounts: Account[] = [];
  for (const u of users) {
    let row = find(passwd, u.name);
    if (!row) {
      const id = freeId(new Set([...usedUids, ...usedGids]), FIRST_UID, LAST_UID, 1);
      usedUids.add(id);
      usedGids.add(id);
      row = [u.name, 'x', String(id), String(id), '', `/home/${u.name}`, '/bin/bash'];
      passwd.push(row);
      if (!find(group, u.name)) group.push([u.name, 'x', String(id), '']);
      if (gshadow && !find(gshadow, u.name)) gshadow.push([u.name, '!', '', '']);
    } else if (!isPersonal(row)) throw systemAccount(u.name, row);
    // "*" (no valid password) rather than "!" (locked): OpenSSH refuses key logins to locked accounts.
    const sh = find(shadow, u.name);
    if (!sh) shadow.push([u.name, u.passwordHash ?? '*', '', '0', '99999', '7', '', '', '']);
    // A console password (QA18; the schema took only a crypt(3) hash's characters) replaces any.
    else if (u.passwordHash) sh[1] = u.passwordHash;
    // A bare lock ("!", "!!") or empty field becomes "*": the spec lists the user to log in with keys.
    else if (sh[1] === undefined || ['', '!', '!!'].includes(sh[1])) sh[1] = '*';
    const sudo = find(group, ADMIN_GROUP);
    if (sudo) setMember(sudo, 3, u.name, u.admin);
    const gsudo = gshadow && find(gshadow, ADMIN_GROUP);
    if (gsudo) setMember(gsudo, 3, u.name, u.admin);
    accounts.push({
      name: u.name,
      uid: Number(row[2]),
      gid: Number(row[3]),
      home: row[5] || `/home/${u.name}`,
    });
  }
  return {
    files: {
      passwd: render(passwd),
      group: render(group),
      shadow: render(shadow),
      ...(gshadow ? { gshadow: render(gshadow) } : {}),
    },
    accounts,
  };
}
