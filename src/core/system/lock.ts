import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, storageErrorFrom } from '../errors.js';
import { ensureDir } from './fs.js';
import { alive } from './process-alive.js';
import { selfStart, startedOtherwise } from './process-start.js';
import { shellWord } from './shell-word.js';

/**
 * Locks this process holds. A lock file naming this process's pid is stale (left by an earlier
 * process that had the same pid) unless it is in here: a long-running process (the web dashboard)
 * runs operations concurrently, and the second must wait its turn like another process would.
 */
const heldHere = new Set<string>();

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
const aside = (file: string, why: string) =>
  `${file}.${process.pid}.${randomBytes(6).toString('hex')}.${why}`;

/**
 * The holder's identity beside the lock: a hard link to the very lock file named
 * `LOCK.PID.START.BOOTID.holder`, made before the lock's name (create). The lock file itself holds
 * the pid alone, as it always did: an older version reads a file of exactly `^[1-9][0-9]{0,9}$`
 * and judges anything else pid 0, stale, so writing more into it would let a still-running older
 * version (a dashboard across an upgrade) take a live lock over. Older versions never look at this
 * name (their sweep takes only `.new` and `.break` names), and it is removed at boot by the image
 * (tmpfiles.d/blueprint-locks.conf: `lock.*`, `*.lock.*`).
 */
const HOLDER = /^([1-9][0-9]{0,9})\.([0-9]{1,20})\.([0-9a-f]{32})\.holder$/;
const holderName = (file: string, pid: number, start: string, id: string) =>
  `${file}.${pid}.${start}.${id}.holder`;

interface Holder {
  /** 0: none readable. */
  pid: number;
  ino: number;
  /** Its start time and boot (the holder name linked to this inode); undefined: a lock of the old form. */
  start?: string;
  boot?: string;
}

/** The holder of `file` (pid, the file's inode, where named its start and boot); undefined: no lock file. */
async function holder(file: string): Promise<Holder | undefined> {
  // No link followed: the lock's name is judged, never what a link there points at.
  const fh = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((err) => {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (!fh) return undefined;
  let h: Holder;
  let links: number;
  try {
    const st = await fh.stat();
    const buf = Buffer.alloc(32);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const pid = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : 0;
    h = { pid, ino: st.ino };
    links = st.nlink;
  } finally {
    await fh.close();
  }
  if (h.pid === 0 || links < 2) return h;
  // Its holder name: the one of this pid linked to this very inode (a name of another inode is
  // an earlier holder's, left for the sweep). None found: judged by the pid alone, as before.
  const prefix = `${path.basename(file)}.`;
  for (const name of await readdir(path.dirname(file)).catch(() => [] as string[])) {
    const m = name.startsWith(prefix) ? HOLDER.exec(name.slice(prefix.length)) : null;
    if (!m || Number(m[1]) !== h.pid) continue;
    const st = await lstat(path.join(path.dirname(file), name)).catch(() => undefined);
    if (st?.ino === h.ino) return { ...h, start: m[2], boot: m[3] };
  }
  return h;
}

/**
 * The lock file made with this pid in it, its inode and holder name; false: a lock file is there.
 * Written whole under another name and linked at the lock's (link never replaces), so the name
 * never holds a file without its pid: an empty one read between a create and its write was judged
 * stale. The holder name (this process's start time and boot) is linked first, so the lock's name
 * never stands without it; none where /proc does not say (then judged by the pid alone).
 */
async function create(file: string, mode: number): Promise<{ ino: number; named?: string } | false> {
  const tmp = aside(file, 'new');
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(String(process.pid));
  } catch (err) {
    // A full disk: the file was made, its pid could not be written.
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  const who = selfStart();
  let named = who && holderName(file, process.pid, who.start, who.boot);
  try {
    // Not made (a name this process left, a folder that refuses links): judged by the pid alone.
    if (named)
      named = await link(tmp, named).then(
        () => named,
        () => undefined,
      );
    await link(tmp, file);
    return { ino: (await lstat(file)).ino, named };
  } catch (err) {
    if (named) await unlink(named).catch(() => {});
    if (code(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** How deep a takeover's own lock may be taken over (each level: a breaker killed mid-way). */
const MAX_DEPTH = 4;

/**
 * The lock file `judged` (a dead holder's) removed, by one process at a time: removing the name
 * removes whatever is there by then, and of two processes that judged the same dead lock, the
 * slower removed the lock the faster had made since (moving it aside and checking its inode left
 * a window too: a third process's lock made while the second's was aside). The remover holds a
 * lock named after the judged inode (taken the same way, so a remover killed mid-way is taken
 * over too) and, under it, finds the very file judged still there (inode and pid: an inode
 * number is reused) before it removes the name: no one else removes a lock whose holder is dead,
 * and no lock is made while the name is taken. False: another process is removing it.
 */
async function takeOver(file: string, judged: Holder, mode: number, depth: number): Promise<boolean> {
  if (depth >= MAX_DEPTH) return false;
  const claim = `${file}.${judged.ino}.break`;
  const got = await takeOnce(claim, mode, depth + 1);
  if (got === undefined || 'pid' in got) return false;
  try {
    const now = await holder(file);
    if (now && now.ino === judged.ino && now.pid === judged.pid && stale(now)) await unlink(file);
    return true;
  } finally {
    await letGo(claim, got);
  }
}

/** A lock this process made released: its name removed if still this one, then its holder name. */
async function letGo(file: string, made: { ino: number; named?: string }): Promise<void> {
  const now = await lstat(file).catch(() => undefined);
  if (now?.ino === made.ino) await unlink(file).catch(() => {});
  if (made.named) await unlink(made.named).catch(() => {});
}

/**
 * A lock no live process holds: no pid, this process's earlier namesake, a dead pid, or a pid now
 * another process's: started at another time or in another boot than the holder named (a power
 * cut's lock, whose pid the next boot gave to some daemon, blocked for as long as that ran). A lock
 * of the old form (pid alone: an older version's) is judged by its pid as before, so a running older
 * version's lock is still respected; only its own power-cut leftovers keep the old gap (the image
 * clears them at boot), and the next lock this version takes names its holder. Where /proc does not
 * say, the pid alone judges too.
 */
function stale(h: Holder): boolean {
  if (h.pid === 0 || h.pid === process.pid || !alive(h.pid)) return true;
  if (h.start === undefined || h.boot === undefined) return false;
  // Where this process judges no start (selfStart: /proc does not say, or its time is shifted),
  // the pid alone judges.
  const who = selfStart();
  if (!who) return false;
  return who.boot !== h.boot || startedOtherwise(h.pid, h.start);
}

/**
 * One try at `file`: made (its inode), or held by a live process (its pid); undefined: try again.
 * Only one call per file runs in this process at a time (heldHere), so a file naming this pid is
 * an earlier process's.
 */
async function takeOnce(
  file: string,
  mode: number,
  depth: number,
): Promise<{ ino: number; named?: string } | { pid: number } | undefined> {
  const made = await create(file, mode);
  if (made !== false) return made;
  const h = await holder(file);
  if (!h) return undefined; // Released in between.
  if (!stale(h)) return { pid: h.pid };
  if (!(await takeOver(file, h, mode, depth))) await sleep(2);
  return undefined;
}

/**
 * What processes killed while taking `file` left beside it, removed by its holder (called holding
 * it, so no other call in this process judges these names meanwhile): a temporary file
 * (`FILE[.INODE.break…].PID.HEX.new`, create's) whose pid is dead, by its name, which only that
 * process made (48 random bits) and no one writes again; a takeover's claim
 * (`FILE.INODE.break[.INODE.break…]`) by taking it over as takeOver takes a dead lock (its own
 * claim, inode and pid judged again), then releasing it: removed by name, a claim judged dead may
 * be by then a live process's new one. A live pid's files stay (the next holder looks again), a
 * pid this process has is left (an earlier namesake's, or this process's own other call), and
 * nothing is opened through a link (unlink removes the name; holder opens with O_NOFOLLOW). Then
 * the holder names left linked to nothing. Other locks' files in the folder are not judged.
 * test/security/lock-leftovers, lock-pid-reused.
 */
async function sweep(file: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const tmp = /^(?:[0-9]+\.break\.){0,8}([1-9][0-9]{0,9})\.[0-9a-f]{12}\.new$/.exec(rest);
    if (tmp) {
      const pid = Number(tmp[1]);
      if (pid !== process.pid && !alive(pid)) await unlink(path.join(dir, name)).catch(() => {});
      continue;
    }
    if (!/^(?:[0-9]+\.break\.){0,8}[0-9]+\.break$/.test(rest)) continue;
    const claim = path.join(dir, name);
    const depth = rest.split('.break').length - 1;
    const got = await takeOnce(claim, mode, depth);
    if (got && 'ino' in got) await letGo(claim, got);
  }
  // Holder names (`FILE[.INODE.break…].PID.START.BOOTID.holder`) linked to nothing else: their
  // lock released or taken over, or their maker killed before it linked the lock. Only a temporary
  // file is ever linked at one (create), and it is made with the link: one left alone never gains
  // a lock again. One still linked (a holder's, live or dead) stays.
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(?:[0-9]+\.break\.){0,8}(.*)$/.exec(name.slice(prefix.length));
    if (!m || !HOLDER.test(m[1]!)) continue;
    const st = await lstat(path.join(dir, name)).catch(() => undefined);
    if (st?.isFile() && st.nlink === 1) await unlink(path.join(dir, name)).catch(() => {});
  }
}

/**
 * What to do about a lock held by `pid`: wait, or, when that pid is no blueprint command, remove it.
 * A lock of the old form (an older version's) names its holder's pid only, and a box keeps its locks
 * across a reboot (the image clears them at boot: image/overlay/etc/tmpfiles.d/blueprint-locks.conf),
 * where that number may be another program's: the process exists, so "no such process" alone misled.
 */
const staleHint = (pid: number, file: string) =>
  `Wait for it to finish. If pid ${pid} is no blueprint command (\`ps -p ${pid} -o args=\`; after a reboot or a crash its number may be another program's), remove ${shellWord(file)}.`;

/** A lock another process holds: its pid (`holder`) as the lock file names it, for a caller that says who. */
export class LockHeldError extends ConflictError {
  constructor(
    message: string,
    hint: string,
    readonly holder: number,
  ) {
    super(message, 'locked', hint);
  }
}

export interface LockOptions {
  /** Wait up to this long for a live holder (in this process too); by default it is refused. */
  waitMs?: number;
  /** The lock file's mode. */
  mode?: number;
}

/**
 * An exclusive lock file holding the owner's pid (its start time and boot beside it: HOLDER). A lock
 * left by a process that no longer exists (killed, crashed, a power cut's whose pid another process
 * has now) is taken over, so a SIGKILL never wedges the package manager; a live holder's
 * is refused (ConflictError 'locked') or, with `waitMs`, waited for. The release removes the lock
 * file only if it is still this one. Its holder removes what killed takers left (sweep).
 */
export async function acquireLock(
  file: string,
  what: string,
  opts: LockOptions = {},
): Promise<() => Promise<void>> {
  await ensureDir(path.dirname(file));
  const key = path.resolve(file);
  const mode = opts.mode ?? 0o644;
  const waiting = opts.waitMs !== undefined;
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    // Takeovers racing other processes' end in a bounded number of tries, or a refusal.
    if (!waiting && attempt >= 50)
      throw new ConflictError(`Could not take the ${what} lock ${file}`, 'locked', 'Run the command again.');
    let owner = process.pid;
    if (!heldHere.has(key)) {
      // Claimed in this process before the first await: a second call here waits or is refused.
      heldHere.add(key);
      let got: Awaited<ReturnType<typeof takeOnce>>;
      try {
        got = await takeOnce(file, mode, 0);
      } catch (err) {
        heldHere.delete(key);
        // The folder removed since it was made: a command failing on a new --root removes the
        // folders it made for this lock once it released it (PackageManager.locked). Made again.
        if (code(err) === 'ENOSPC' || code(err) === 'EDQUOT')
          throw storageErrorFrom(err, `taking the ${what} lock`);
        if (code(err) !== 'ENOENT' || attempt >= 50) throw err;
        await ensureDir(path.dirname(file));
        continue;
      }
      if (got && 'ino' in got) {
        const made = got;
        // A cleanup that fails leaves files for the next holder; the lock is held all the same.
        await sweep(file, mode).catch(() => {});
        return async () => {
          await letGo(file, made);
          heldHere.delete(key);
        };
      }
      heldHere.delete(key);
      if (!got) continue;
      owner = got.pid;
    }
    if (!waiting) {
      if (owner === process.pid)
        throw new ConflictError(
          `Another ${what} is running in this process`,
          'locked',
          'Wait for it to finish, then try again.',
        );
      throw new LockHeldError(`Another ${what} is running (pid ${owner})`, staleHint(owner, file), owner);
    }
    if (Date.now() > deadline)
      throw new LockHeldError(
        `Another ${what} (pid ${owner}) held ${file} for over ${Math.round((opts.waitMs ?? 0) / 1000)} s`,
        staleHint(owner, file),
        owner,
      );
    await sleep(25);
  }
}
