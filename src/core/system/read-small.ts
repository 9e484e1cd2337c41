import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a small file was not read: not a regular file (a FIFO, a folder, a device), or over the bound. */
export type SmallUnread = 'not-regular' | 'too-large';

/**
 * O_PATH (Linux; not in fs.constants; read-bounded.ts says why): names the file without opening
 * it, so no FIFO's writer is woken and no device's driver opened, yet fstat answers what it is.
 */
const O_PATH = 0o10000000;

/**
 * A small configuration file's text, read synchronously (the service start and the engine's socket
 * choice read theirs on their way). Judged before it is opened: named O_PATH (O_NOFOLLOW unless
 * `followLink`) and fstatted on that descriptor, then, only when it is a regular file of at most
 * `max` bytes, opened for reading through /proc/self/fd (that inode, O_NONBLOCK) and read from it.
 * An open of the name first (O_NONBLOCK spares a FIFO's wait, not its open) woke a FIFO's writer
 * and ran a device's driver open (an image mounted with its own watchdog node: `--root TREE
 * status` reads any tree). `followLink` false: a link at the name is refused (ELOOP). Undefined
 * when there is no such file (ENOENT, ENOTDIR); another open error is thrown as it is.
 */
export function readSmallFileSync(
  file: string,
  max: number,
  opts: { followLink: boolean },
): { text: string } | { unread: SmallUnread } | undefined {
  const nofollow = opts.followLink ? 0 : constants.O_NOFOLLOW;
  let named: number;
  try {
    named = openSync(file, O_PATH | nofollow);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  let fd: number;
  try {
    const judged = fstatSync(named);
    if (judged.isSymbolicLink())
      throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${file}'`), {
        code: 'ELOOP',
        errno: -40,
        syscall: 'open',
        path: file,
      });
    if (!judged.isFile()) return { unread: 'not-regular' };
    if (judged.size > max) return { unread: 'too-large' };
    try {
      fd = openSync(`/proc/self/fd/${named}`, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // No /proc (never on the box): the name again, and it must still be the file judged.
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | nofollow);
      const now = fstatSync(fd);
      if (now.dev !== judged.dev || now.ino !== judged.ino) {
        closeSync(fd);
        return { unread: 'not-regular' };
      }
    }
  } finally {
    closeSync(named);
  }
  try {
    const st = fstatSync(fd);
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
