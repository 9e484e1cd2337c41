import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, storageErrorFrom } from '../errors.js';
import { ensureDir } from './fs.js';
import { alive } from './process-alive.js';
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

/** The holder's pid (0: none readable) and the file's inode; undefined: no lock file. */
async function holder(file: string): Promise<{ pid: number; ino: number } | undefined> {
  // No link followed: the lock's name is judged, never what a link there points at.
  const fh = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((err) => {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    const buf = Buffer.alloc(32);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const pid = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : 0;
    return { pid, ino: st.ino };
  } finally {
    await fh.close();
  }
}

/**
 * The lock file made with this pid in it, its inode; false: a lock file is there. Written whole
 * under another name and linked at the lock's (link never replaces), so the name never holds a
 * file without its pid: an empty one read between a create and its write was judged stale.
 */
async function create(file: string, mode: number): Promise<number | false> {
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
  try {
    await link(tmp, file);
    return (await lstat(file)).ino;
  } catch (err) {
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
async function takeOver(
  file: string,
  judged: { pid: number; ino: number },
  mode: number,
  depth: number,
): Promise<boolean> {
  if (depth >= MAX_DEPTH) return false;
  const claim = `${file}.${judged.ino}.break`;
  const got = await takeOnce(claim, mode, depth + 1);
  if (got === undefined || 'pid' in got) return false;
  try {
    const now = await holder(file);
    if (now && now.ino === judged.ino && now.pid === judged.pid && stale(now.pid)) await unlink(file);
    return true;
  } finally {
    const still = await lstat(claim).catch(() => undefined);
    if (still?.ino === got.ino) await unlink(claim).catch(() => {});
  }
}

/** This process's dead earlier namesake or no pid: a lock no live process holds. */
const stale = (pid: number) => pid === 0 || pid === process.pid || !alive(pid);

/**
 * One try at `file`: made (its inode), or held by a live process (its pid); undefined: try again.
 * Only one call per file runs in this process at a time (heldHere), so a file naming this pid is
 * an earlier process's.
 */
async function takeOnce(
  file: string,
  mode: number,
  depth: number,
): Promise<{ ino: number } | { pid: number } | undefined> {
  const ino = await create(file, mode);
  if (ino !== false) return { ino };
  const h = await holder(file);
  if (!h) return undefined; // Released in between.
  if (!stale(h.pid)) return { pid: h.pid };
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
 * nothing is opened through a link (unlink removes the name; holder opens with O_NOFOLLOW).
 * Other locks' files in the folder are not judged. test/security/lock-leftovers.
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
    if (got && 'ino' in got) {
      const still = await lstat(claim).catch(() => undefined);
      if (still?.ino === got.ino) await unlink(claim).catch(() => {});
    }
  }
}

/**
 * What to do about a lock held by `pid`: wait, or, when that pid is no blueprint command, remove it.
 * A lock names its holder's pid only, and a box keeps its locks across a reboot (the image clears
 * them at boot: image/overlay/etc/tmpfiles.d/blueprint-locks.conf), where that number may be
 * another program's: the process exists, so "no such process" alone misled.
 */
const staleHint = (pid: number, file: string) =>
  `Wait for it to finish. If pid ${pid} is no blueprint command (\`ps -p ${pid} -o args=\`; after a reboot or a crash its number may be another program's), remove ${shellWord(file)}.`;

export interface LockOptions {
  /** Wait up to this long for a live holder (in this process too); by default it is refused. */
  waitMs?: number;
  /** The lock file's mode. */
  mode?: number;
}

/**
 * An exclusive lock file holding the owner's pid. A lock left by a process that no longer exists
 * (killed, crashed) is taken over, so a SIGKILL never wedges the package manager; a live holder's
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
        const ino = got.ino;
        // A cleanup that fails leaves files for the next holder; the lock is held all the same.
        await sweep(file, mode).catch(() => {});
        return async () => {
          const now = await lstat(file).catch(() => undefined);
          if (now?.ino === ino) await unlink(file).catch(() => {});
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
      throw new ConflictError(`Another ${what} is running (pid ${owner})`, 'locked', staleHint(owner, file));
    }
    if (Date.now() > deadline)
      throw new ConflictError(
        `Another ${what} (pid ${owner}) held ${file} for over ${Math.round((opts.waitMs ?? 0) / 1000)} s`,
        'locked',
        staleHint(owner, file),
      );
    await sleep(25);
  }
}
