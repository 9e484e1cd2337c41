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
 * A socket already at the name is replaced only when it is stale: nothing answers a connect on it
 * (ECONNREFUSED, as after a kill -9). One that answers belongs to a running instance, whose clients
 * would be cut off silently: SocketInUseError. Private folders other instances left are judged
 * the same way (see removeLeftOvers), since two instances may start at once in one folder.
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
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';

/** sockaddr_un's sun_path: longer paths are cut by the kernel's interface, so refused here. */
const MAX_SOCKET_PATH = 107;
/** The private folder's name beside the socket: short, as its path must fit too. */
const PRIVATE_PREFIX = '.bind-';
const PRIVATE_SOCKET = 's';
const LEFT_OVER = /^\.bind-[A-Za-z0-9]{6}$/;
/**
 * A private folder younger than this may be another instance's bind in progress: between its
 * mkdtemp and bind, or its bind and listen, nothing answers in it yet. Those steps run in one
 * synchronous stretch, so seconds are ample; a killed instance's folder goes at a later start.
 */
const LEFT_OVER_AGE_MS = 10_000;

/** The name is taken by a socket a running instance answers on; it is left as it is. */
export class SocketInUseError extends Error {
  readonly code = 'EADDRINUSE';
  readonly hint: string;
  constructor(socketPath: string) {
    const hint =
      'another instance of this service is running: stop it first, or give this one another socket path';
    super(`${socketPath} is in use by a running instance; ${hint}`);
    this.hint = hint;
  }
}

/**
 * Whether a server answers on the socket at `path`: 'stale' only for ECONNREFUSED (a socket with no
 * listener: its process died), 'gone' for ENOENT. Anything else (EACCES, EAGAIN for a full backlog)
 * is not proof that no one listens, so it is unknown and the socket is left.
 */
function probe(path: string): Promise<'live' | 'stale' | 'gone' | { unknown: string }> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      resolve('live');
      // Closed the way a polite client does (read what comes, end, wait for the server's end): a
      // close with unread bytes would hand the server an ECONNRESET it may not be ready for.
      c.unref();
      c.resume();
      c.end();
      c.setTimeout(1000, () => c.destroy());
    });
    c.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      resolve(code === 'ECONNREFUSED' ? 'stale' : code === 'ENOENT' ? 'gone' : { unknown: code });
    });
  });
}

/**
 * Removes the socket at the public name if it is stale; refuses one that answers. The inode is
 * compared around the probe, so a socket linked there meanwhile (another instance starting at the
 * same moment) is not the one unlinked; its link then fails ours with EEXIST.
 */
async function replaceStale(socketPath: string, before: Stats): Promise<void> {
  const state = await probe(socketPath);
  if (state === 'gone') return;
  if (state === 'live') throw new SocketInUseError(socketPath);
  if (typeof state === 'object')
    throw new Error(
      `cannot tell whether ${socketPath} is in use (connecting to it failed: ${state.unknown}); ` +
        'if no instance of this service runs, remove it and start again',
    );
  const now = await lstat(socketPath).catch(() => undefined);
  if (!now) return;
  if (now.ino !== before.ino || now.dev !== before.dev) throw new SocketInUseError(socketPath);
  await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/**
 * Removes private folders an instance killed in the middle of listenOnSocket left in `dir`: ours,
 * older than LEFT_OVER_AGE_MS, and empty or holding a socket nothing answers on. Another instance
 * binding in the same folder at this moment has a young folder, or a socket that answers: left.
 * Each is opened without following a link, and its socket probed and removed through that open
 * folder (/proc/self/fd), so a folder swapped for a link meanwhile makes us touch nothing elsewhere.
 */
async function removeLeftOvers(dir: string): Promise<void> {
  for (const name of readdirSync(dir)) {
    if (!LEFT_OVER.test(name)) continue;
    const path = join(dir, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch {
      continue; // not a folder (a link, a file), or gone
    }
    try {
      const st = fstatSync(fd);
      if (st.uid !== process.getuid?.() || Date.now() - st.mtimeMs < LEFT_OVER_AGE_MS) continue;
      const inside = `/proc/self/fd/${fd}/${PRIVATE_SOCKET}`;
      const entry = lstatSync(inside, { throwIfNoEntry: false });
      if (entry) {
        if (!entry.isSocket() || (await probe(inside)) !== 'stale') continue;
        unlinkSync(inside);
      }
      rmdirSync(path); // only if empty: anything else in it is not ours to remove
    } catch {
      // not ours to remove, or removed meanwhile by another instance's clean-up
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Connects the kernel queues before the service accepts them. Node's default, 511, turns a burst
 * away at once (EAGAIN on a unix socket) whenever the service is a moment late to run: on a busy box,
 * 1,100 idle connects left /health refused. The kernel caps this at net.core.somaxconn (4096 by
 * default); a queued connect holds no file of ours, and the connection cap sheds old ones once in.
 */
const LISTEN_BACKLOG = 4096;

function listen(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen({ path, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Binds in the private folder, sets the mode there and links the socket to its public name. On any
 * failure the server is closed before the error is thrown, so it never listens unseen; once the
 * link is made nothing here throws.
 */
async function bindAndLink(
  server: Server,
  inFolder: string,
  socketPath: string,
  mode: number,
): Promise<Stats> {
  let bound = false;
  try {
    await listen(server, inFolder);
    bound = true;
    await chmod(inFolder, mode);
    const ours = await lstat(inFolder);
    await link(inFolder, socketPath).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST'
        ? new Error(`${socketPath} was created by someone else while the socket was being made; not replaced`)
        : err;
    });
    return ours;
  } catch (err) {
    if (bound) await new Promise((r) => server.close(r));
    throw err;
  }
}

/**
 * Listens on a unix socket at `socketPath` with `mode` (default 0666: any local client may
 * connect; the optional token and the folder's mode decide who gets answers), replacing a stale
 * socket left by a killed instance (one a running instance answers on: SocketInUseError); the
 * socket is removed again when the server closes.
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
  const there = await lstat(socketPath).catch(() => undefined);
  if (there?.isSocket()) await replaceStale(socketPath, there);
  else if (there) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);

  await removeLeftOvers(dir);
  const folder = mkdtempSync(join(dir, PRIVATE_PREFIX));
  const inFolder = join(folder, PRIVATE_SOCKET);
  let ours: Stats;
  try {
    ours = await bindAndLink(server, inFolder, socketPath, mode);
  } finally {
    // The socket lives on under its public name; its private name and folder go (after a close,
    // the private name is already gone: node removes the name it bound at close). Errors are
    // ignored: the socket may already be linked and must not be left listening behind a rejection;
    // a folder left here is removed as a left-over by a later start.
    try {
      unlinkSync(inFolder);
    } catch {
      // not bound, or removed by the close above
    }
    try {
      rmdirSync(folder);
    } catch {
      // removed meanwhile, or not empty: left to a later start's clean-up
    }
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
