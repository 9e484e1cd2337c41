import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a small file was not read: not a regular file (a FIFO, a folder, a device), or over the bound. */
export type SmallUnread = 'not-regular' | 'too-large';

/**
 * A small configuration file's text, read synchronously (the service start and the engine's socket
 * choice read theirs on their way): opened without waiting for a writer (O_NONBLOCK: a FIFO put at
 * the name never holds the command, signals and all), judged on the descriptor (a regular file of at
 * most `max` bytes) and read from it. `followLink` false: a link at the name is refused (ELOOP).
 * Undefined when there is no such file (ENOENT, ENOTDIR); another open error is thrown as it is.
 */
export function readSmallFileSync(
  file: string,
  max: number,
  opts: { followLink: boolean },
): { text: string } | { unread: SmallUnread } | undefined {
  let fd: number;
  try {
    fd = openSync(
      file,
      constants.O_RDONLY | constants.O_NONBLOCK | (opts.followLink ? 0 : constants.O_NOFOLLOW),
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { unread: 'not-regular' };
    if (st.size > max) return { unread: 'too-large' };
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return { text: buf.toString('utf8', 0, n) };
  } finally {
    closeSync(fd);
  }
}
