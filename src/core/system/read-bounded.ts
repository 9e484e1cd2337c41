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
  /** Follow a link at the name: a path the user gave, whose links are theirs. */
  followLink?: boolean;
  /** Judges the descriptor (its fstat: a regular file within the bound) before anything is read. */
  accept?: (st: Stats, fd: number) => boolean;
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

/**
 * Opens `file` as above and fstats it: a regular file, or why not. For a caller that streams the
 * bytes instead of reading them whole (and bounds them itself); the descriptor is the caller's to
 * close when `ok`.
 */
export async function openRegular(
  file: string,
  opts: Pick<BoundedOptions, 'followLink'> = {},
): Promise<{ ok: true; fd: number; stat: Stats } | Unread> {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs().constants;
  const flags = O_RDONLY | O_NONBLOCK | (opts.followLink ? 0 : O_NOFOLLOW);
  let fd: number;
  try {
    fd = await promised<number>((done) => fs().open(file, flags, done));
  } catch (error) {
    return { ok: false, why: 'open', error: error as NodeJS.ErrnoException };
  }
  try {
    const stat = await promised<Stats>((done) => fs().fstat(fd, done));
    if (stat.isFile()) return { ok: true, fd, stat };
    await close(fd);
    return { ok: false, why: 'not-a-file', stat };
  } catch (err) {
    await close(fd);
    throw err;
  }
}

const close = (fd: number) => promised<void>((done) => fs().close(fd, (err) => done(err, undefined)));

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
      const got = await promised<number>((done) => fs().read(fd, buf, n, buf.length - n, n, done));
      if (got === 0) break;
      n += got;
    }
    if (n > stat.size) return { ok: false, why: 'grew', stat };
    return { ok: true, bytes: buf.subarray(0, n), stat };
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
