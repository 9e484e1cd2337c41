import type { Stats } from 'node:fs';
import { VerificationError } from '../errors.js';

/**
 * The one read of a file someone else may have put there (a module's access token, a detached
 * signature, a credentials file, a repository's index): opened without waiting (O_NONBLOCK: open(2)
 * of a FIFO waits for a writer for good) and, unless asked, without following a link at its name
 * (O_NOFOLLOW), then judged on that descriptor: a regular file of at most `max` bytes. Only then
 * is it read, through the same descriptor, up to its size + 1 bytes: a file that grows meanwhile
 * is refused, not cut short, and a sparse or endless one is never read past its bound.
 *
 * No error is thrown for what the file turns out to be: each caller says why in its own words
 * (its typed error and hint). The synchronous kin for the quick pkg commands is openServedSync in
 * pkg/node-lazy.ts. On node:fs's callbacks: `service start` reads tokens here, and node:fs/promises
 * is kept off its way (services/fs-cb.ts).
 */

export interface BoundedOptions {
  /**
   * A path the admin named: its links are followed, but only those in folders no one but root (or
   * we) can change (named-path.ts; a link another user put there is `unsafe-link`, thrown).
   */
  followLink?: boolean;
  /** Judges the descriptor (its fstat: a regular file within the bound) before anything is read. */
  accept?: (st: Stats, fd: number) => boolean;
  /**
   * node:fs's synchronous calls instead of its callbacks, the same judgement: for a small local
   * file on a command's way (`service start`'s registration). Each callback is a trip through
   * libuv's thread pool, whose first call starts four threads and waits until each has run, and
   * each answer is a wake-up of the main thread: on a busy box every one waits for a core.
   */
  now?: boolean;
}

/** Why a file was not read: `open` (the error says: ENOENT, ELOOP for a link…) or what its fstat showed. */
export type Unread =
  | { ok: false; why: 'open'; error: NodeJS.ErrnoException }
  | { ok: false; why: 'not-a-file' | 'refused' | 'too-large' | 'grew'; stat: Stats };

export type BoundedRead = { ok: true; bytes: Buffer; stat: Stats } | Unread;

const fs = () => process.getBuiltinModule('node:fs');

type Done<T> = (err: NodeJS.ErrnoException | null, value: T) => void;
const promised = <T>(call: (done: Done<T>) => void): Promise<T> =>
  new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
const close = (fd: number) => promised<void>((done) => fs().close(fd, (err) => done(err, undefined)));

/**
 * O_PATH (Linux, the same number on x86_64 and aarch64; not in fs.constants): a descriptor that
 * names the file without opening it. No driver's open runs (an open /dev/watchdog arms the
 * watchdog, a serial line raises DTR, a tape rewinds at close) and a FIFO's writer is not woken,
 * yet fstat answers what the file is. With O_NOFOLLOW it names a link itself rather than failing.
 */
export const O_PATH = 0o10000000;

/** The ELOOP open(2) gives for a link at the name under O_NOFOLLOW, which O_PATH does not give. */
export function linkError(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${file}'`), {
    code: 'ELOOP',
    errno: -40,
    syscall: 'open',
    path: file,
  });
}

/**
 * What judgedOpen needs of a descriptor: raw numbers here (node:fs callbacks, kept off
 * node:fs/promises for `service start`), FileHandles in copy-hashed.ts (openUntrusted).
 */
export interface Opener<H> {
  open(path: string, flags: number): Promise<H>;
  stat(h: H): Promise<Stats>;
  close(h: H): Promise<void>;
  fd(h: H): number;
}

/**
 * Opens `file` for reading, judged first: opened O_PATH and fstatted on that descriptor, then,
 * only when it is a regular file, opened for reading (O_NONBLOCK) through /proc/self/fd (the inode
 * judged, whatever its name leads to by then). A stat of the name before an open of the name is no
 * such judgement: a link put at the name between the two is followed to whatever device it names.
 * Without /proc (never on the box) the name is opened again and must be the same inode. Errors of
 * the fstats are thrown as they are; the one judgement for openRegular and openUntrusted. With
 * `followLink`, the real path is found first (namedRealPath) and opened with O_NOFOLLOW; where
 * another user could swap a folder on the way for a link since, the descriptor must be at that
 * path (else ELOOP, as for a link at the name).
 */
export async function judgedOpen<H>(
  file: string,
  opts: Pick<BoundedOptions, 'followLink'> & { kernelLinks?: boolean },
  ops: Opener<H>,
): Promise<{ ok: true; handle: H; stat: Stats } | Unread> {
  const { O_RDONLY, O_NONBLOCK } = fs().constants;
  const O_NOFOLLOW = opts.kernelLinks ? 0 : fs().constants.O_NOFOLLOW;
  let target = file;
  let guard = false;
  let named: H;
  try {
    // A path the admin named: its links resolved here, each only where root (or we) put it.
    if (opts.followLink) {
      const { namedRealPath, othersCanSwap } = await import('./named-path.js');
      target = await namedRealPath(file);
      guard = await othersCanSwap(target);
    }
    named = await ops.open(target, O_PATH | O_NOFOLLOW);
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    return { ok: false, why: 'open', error: error as NodeJS.ErrnoException };
  }
  let stat: Stats;
  try {
    stat = await ops.stat(named);
  } catch (err) {
    await ops.close(named);
    throw err;
  }
  // A folder on the way swapped for a link since it was resolved: the file is elsewhere.
  const at = guard ? pathOfFd(ops.fd(named)) : undefined;
  if (at !== undefined && at !== target) {
    await ops.close(named);
    return { ok: false, why: 'open', error: linkError(file) };
  }
  if (!stat.isFile()) {
    await ops.close(named);
    if (stat.isSymbolicLink()) return { ok: false, why: 'open', error: linkError(file) };
    return { ok: false, why: 'not-a-file', stat };
  }
  let handle: H;
  let byName = false;
  try {
    handle = await ops.open(`/proc/self/fd/${ops.fd(named)}`, O_RDONLY | O_NONBLOCK).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // No /proc: the name again, and it must still be the file judged.
      byName = true;
      return ops.open(target, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
    });
  } catch (error) {
    return { ok: false, why: 'open', error: error as NodeJS.ErrnoException };
  } finally {
    await ops.close(named);
  }
  if (!byName) return { ok: true, handle, stat };
  try {
    const now = await ops.stat(handle);
    if (now.isFile() && now.dev === stat.dev && now.ino === stat.ino) return { ok: true, handle, stat: now };
    await ops.close(handle);
    return { ok: false, why: 'not-a-file', stat: now };
  } catch (err) {
    await ops.close(handle);
    throw err;
  }
}

const fdOpener: Opener<number> = {
  open: (file, flags) => promised<number>((done) => fs().open(file, flags, done)),
  stat: (fd) => promised<Stats>((done) => fs().fstat(fd, done)),
  close: (fd) => close(fd),
  fd: (fd) => fd,
};

/** The call's value, or its error, as a settled promise (BoundedOptions.now). */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}

const fdOpenerNow: Opener<number> = {
  open: (file, flags) => settled(() => fs().openSync(file, flags)),
  stat: (fd) => settled(() => fs().fstatSync(fd)),
  close: (fd) => settled(() => fs().closeSync(fd)),
  fd: (fd) => fd,
};

/**
 * Opens `file` as above (judgedOpen) and fstats it: a regular file, or why not. For a caller that
 * streams the bytes instead of reading them whole (and bounds them itself); the descriptor is the
 * caller's to close when `ok`.
 */
export async function openRegular(
  file: string,
  opts: Pick<BoundedOptions, 'followLink' | 'now'> = {},
): Promise<{ ok: true; fd: number; stat: Stats } | Unread> {
  const r = await judgedOpen(file, opts, opts.now ? fdOpenerNow : fdOpener);
  return r.ok ? { ok: true, fd: r.handle, stat: r.stat } : r;
}

/** Whether `file` is a regular file, judged on a descriptor opened as readBoundedFile opens it (then closed). */
export async function statRegular(
  file: string,
  opts: Pick<BoundedOptions, 'followLink'> = {},
): Promise<{ ok: true; stat: Stats } | Unread> {
  const opened = await openRegular(file, opts);
  if (!opened.ok) return opened;
  await close(opened.fd);
  return { ok: true, stat: opened.stat };
}

/** The bytes of `file`, a regular file of at most `max` bytes, read once (see above). */
export async function readBoundedFile(
  file: string,
  max: number,
  opts: BoundedOptions = {},
): Promise<BoundedRead> {
  const opened = await openRegular(file, opts);
  if (!opened.ok) return opened;
  const { fd, stat } = opened;
  try {
    if (opts.accept && !opts.accept(stat, fd)) return { ok: false, why: 'refused', stat };
    if (stat.size > max) return { ok: false, why: 'too-large', stat };
    // Zeroed: what is handed back is a view of this buffer, and nothing else may be in it.
    const buf = Buffer.alloc(stat.size + 1);
    let n = 0;
    while (n < buf.length) {
      const got = opts.now
        ? fs().readSync(fd, buf, n, buf.length - n, n)
        : await promised<number>((done) => fs().read(fd, buf, n, buf.length - n, n, done));
      if (got === 0) break;
      n += got;
    }
    if (n > stat.size) return { ok: false, why: 'grew', stat };
    return { ok: true, bytes: buf.subarray(0, n), stat };
  } finally {
    if (opts.now) fs().closeSync(fd);
    else await close(fd);
  }
}

/**
 * The bytes of `file`, a regular file (judged first, as above), read from the descriptor to its end
 * but never past `cap`: for files whose fstat size is not their contents' (/proc says 0, /sys 4096),
 * in a tree read as data (`blueprint gpu --root DIR`). Its links are followed as the kernel follows
 * them (`kernelLinks`, the default: sysfs is made of them), or none at the name (a path already
 * resolved, judged with `accept`). More than `cap` bytes is `too-large`.
 */
export async function readCappedFile(
  file: string,
  cap: number,
  opts: Pick<BoundedOptions, 'accept'> & { kernelLinks?: boolean } = { kernelLinks: true },
): Promise<BoundedRead> {
  const opened = await judgedOpen(file, { kernelLinks: opts.kernelLinks }, fdOpener);
  if (!opened.ok) return opened;
  const { handle: fd, stat } = opened;
  try {
    if (opts.accept && !opts.accept(stat, fd)) return { ok: false, why: 'refused', stat };
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, cap + 1 - n));
      const got = await promised<number>((done) => fs().read(fd, buf, 0, buf.length, null, done));
      if (got === 0) break;
      chunks.push(buf.subarray(0, got));
      n += got;
      if (n > cap) return { ok: false, why: 'too-large', stat };
    }
    return { ok: true, bytes: Buffer.concat(chunks, n), stat };
  } finally {
    await close(fd);
  }
}

/**
 * Where the kernel says `fd`'s file is (/proc/self/fd): the path it was reached by, every link on
 * the way resolved, as things were when it was opened. O_NOFOLLOW guards only the last name; this
 * tells a file opened by its real path from one reached through a folder swapped for a link since.
 * Undefined when it cannot be told (no /proc).
 */
export function pathOfFd(fd: number): string | undefined {
  try {
    return fs().readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** The error for `grew`, for a caller with no words of its own for it (`hint`: what to do next). */
export const changedWhileReading = (shown: string, hint: string): VerificationError =>
  new VerificationError(`${shown} changed while it was read`, 'changed-while-reading', hint);
