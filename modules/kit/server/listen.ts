/**
 * The module's unix socket, created with the mode asked for and never chmod-ed at its public path.
 *
 * bind(2) makes the socket with 0777 & ~umask, so its mode has to be set after. A chmod of the
 * public path by name would follow whatever is at that name by then (a symlink put there between
 * bind and chmod hands the mode to the file it points at), and until it runs the socket is
 * reachable with the umask's mode. So the socket is bound in a private folder (mkdtemp: 0700, ours,
 * in the same folder so the link below stays on one filesystem), chmod-ed there where no one else
 * can put anything, and only then linked into its public name: link(2) never replaces what is
 * there, so a name someone took meanwhile fails the listen instead of being followed. Unix sockets
 * are found by inode, so clients connect through the new name.
 *
 * Not process.umask() around a synchronous bind: it is process-wide (a file another thread creates
 * meanwhile would get the socket's mask, 0111 for the default 0666) and cannot be set in a worker
 * thread.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmdirSync,
  type Stats,
  unlinkSync,
} from 'node:fs';
import { chmod, link, lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { dirname, join } from 'node:path';

/** sockaddr_un's sun_path: longer paths are cut by the kernel's interface, so refused here. */
const MAX_SOCKET_PATH = 107;
/** The private folder's name beside the socket: short, as its path must fit too. */
const PRIVATE_PREFIX = '.bind-';
const PRIVATE_SOCKET = 's';
const LEFT_OVER = /^\.bind-[A-Za-z0-9]{6}$/;

/**
 * Removes private folders an instance killed in the middle of listenOnSocket left in `dir`. Each is
 * opened without following a link and checked to be our folder; its socket is removed through that
 * open folder (/proc/self/fd), so a folder swapped for a link meanwhile makes us remove nothing
 * elsewhere.
 */
function removeLeftOvers(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!LEFT_OVER.test(name)) continue;
    const path = join(dir, name);
    try {
      const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        if (fstatSync(fd).uid !== process.getuid?.()) continue;
        try {
          unlinkSync(`/proc/self/fd/${fd}/${PRIVATE_SOCKET}`);
        } catch {
          // no socket in it
        }
      } finally {
        closeSync(fd);
      }
      rmdirSync(path); // only if empty: anything else in it is not ours to remove
    } catch {
      // not a folder, not ours, or not empty: left alone
    }
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen(path, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Listens on a unix socket at `socketPath` with `mode` (default 0666: any local client may
 * connect; the optional token and the folder's mode decide who gets answers), replacing a stale
 * socket left by a killed instance; the socket is removed again when the server closes.
 */
export async function listenOnSocket(server: Server, socketPath: string, mode = 0o666): Promise<void> {
  const dir = dirname(socketPath);
  // mkdtemp adds 6 characters to the prefix.
  const privatePath = join(dir, `${PRIVATE_PREFIX}XXXXXX`, PRIVATE_SOCKET);
  for (const p of [socketPath, privatePath])
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH)
      throw new Error(
        `the socket path ${socketPath} is too long: a unix socket's path (with a private folder ` +
          `of ${PRIVATE_PREFIX.length + 6} characters) must fit in ${MAX_SOCKET_PATH} bytes; use a shorter folder`,
      );
  const stale = await lstat(socketPath).catch(() => undefined);
  if (stale?.isSocket()) await unlink(socketPath);
  else if (stale) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);

  removeLeftOvers(dir);
  const folder = mkdtempSync(join(dir, PRIVATE_PREFIX));
  const inFolder = join(folder, PRIVATE_SOCKET);
  let bound = false;
  let ours: Stats;
  try {
    await listen(server, inFolder);
    bound = true;
    await chmod(inFolder, mode);
    ours = await lstat(inFolder);
    await link(inFolder, socketPath).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST'
        ? new Error(`${socketPath} was created by someone else while the socket was being made; not replaced`)
        : err;
    });
  } catch (err) {
    if (bound) await new Promise((r) => server.close(r));
    throw err;
  } finally {
    // The socket lives on under its public name; its private name and folder go (after a close,
    // the socket's private name is already gone: node removes the name it bound at close).
    try {
      unlinkSync(inFolder);
    } catch {
      // not bound, or removed by the close above
    }
    rmdirSync(folder);
  }
  // node removes the path it bound when the server closes; that was the private name, so the
  // public one is removed here, only if it is still this socket (a new instance may have replaced it).
  server.once('close', () => {
    try {
      const now = lstatSync(socketPath);
      if (now.ino === ours.ino && now.dev === ours.dev) unlinkSync(socketPath);
    } catch {
      // already gone
    }
  });
}
