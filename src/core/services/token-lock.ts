import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '../errors.js';
import { alive } from '../system/lock.js';
import { layout } from '../system/paths.js';

/**
 * The lock of the consumer tokens (client-tokens.ts): a provider's `client-tokens` is written, and
 * a rotation's generations changed, only while it is held, and the writer reads which installed
 * modules use the provider under it too. So a start that read "rag uses llm" cannot write rag's
 * line after a removal of rag wrote the file without it: the removal deletes rag's registration
 * first, then writes the file under this lock, which either comes after the start's whole write
 * or makes the start read the registrations without rag (test/security/client-token-remove-race).
 *
 * Not the package lock: `bpkg remove` holds that for its whole transaction and starts a service
 * from inside it (an upgrade's next version), and `service start` takes no lock; this one is held
 * for a file's read and write, and waited for rather than refused. Within one process (the web
 * dashboard, the watcher) the calls wait in line. Between processes: a pid file, made here rather
 * than with system/lock.ts, whose file exists empty between its create and its write of the pid
 * (another process read nothing there and took a live lock over) and whose takeover removes the
 * name it judged, which by then may be a newer holder's: four processes taking this lock in a loop
 * had two holders at once 74 times in 4 s (test/security/client-token-lock). Here the file is
 * written whole under another name and linked at the lock's (it is never there without its pid),
 * and a lock left by a killed process is moved aside, then removed only if it is the very file
 * (inode) that was judged; a newer one moved by mistake is linked back at once. The folder is the
 * box key's, root's alone: no one else can put a file or a link there.
 */

const LOCK_FILE = 'client-tokens.lock';
const WAIT_MS = 30_000;
const line = new Map<string, Promise<void>>();
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
const aside = (file: string, why: string) =>
  `${file}.${process.pid}.${randomBytes(6).toString('hex')}.${why}`;

/** The holder's pid and the file's inode; undefined: no lock file. */
async function holder(file: string): Promise<{ pid: number; ino: number } | undefined> {
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

/** Linked at `file` with this pid in it; false: a lock file is there. */
async function create(file: string): Promise<number | false> {
  const tmp = aside(file, 'new');
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(String(process.pid));
  } finally {
    await fh.close();
  }
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

/** The lock file `judged` (a dead holder's) removed; one that replaced it in the meantime left. */
async function takeOver(file: string, judged: number): Promise<void> {
  const moved = aside(file, 'stale');
  try {
    await rename(file, moved);
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw err;
  }
  if ((await lstat(moved)).ino === judged) return unlink(moved);
  // A newer holder's file: back at the name unless yet another was made there meanwhile.
  await link(moved, file).catch(() => {});
  await unlink(moved);
}

async function acquireWaiting(file: string): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const ino = await create(file);
    if (ino !== false)
      return async () => {
        const now = await lstat(file).catch(() => undefined);
        if (now?.ino === ino) await unlink(file).catch(() => {});
      };
    const h = await holder(file);
    // In line (above), so a file naming this pid is an earlier process's that had it.
    if (h && (h.pid === 0 || h.pid === process.pid || !alive(h.pid))) await takeOver(file, h.ino);
    else if (h) {
      if (Date.now() > deadline)
        throw new ConflictError(
          `Another blueprint process (pid ${h.pid}) held ${file} for over ${WAIT_MS / 1000} s`,
          'locked',
          `Wait for it to finish; if no such process exists, remove ${file}.`,
        );
      await sleep(25);
    }
  }
}
/** Runs `fn` holding the lock of `root`'s consumer tokens. */
export async function underTokenLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(layout(root).stateDir, LOCK_FILE);
  const before = line.get(file) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => {
    done = r;
  });
  const tail = before.then(() => mine);
  line.set(file, tail);
  await before;
  try {
    const release = await acquireWaiting(file);
    try {
      return await fn();
    } finally {
      await release();
    }
  } finally {
    done();
    if (line.get(file) === tail) line.delete(file);
  }
}
