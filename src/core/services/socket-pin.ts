import { linkSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { VerificationError } from '../errors.js';

/**
 * A module's socket, as root connects to it from the host (`blueprint rag`, app/module-api.ts). The
 * socket's folder (ROOT/run/blueprint/services/NAME) is the module's own, and connect() follows a
 * link at the name: an absolute link made inside the container resolves against the host's root,
 * so the module could send root's requests (the admin's documents) to any socket of the host,
 * another module's among them. There is no O_NOFOLLOW for connect(); so the name is pinned first:
 * hard-linked into a folder only root may write (link(2) links a link itself, never what it points
 * to), judged there by lstat, and connected to by that name. What the module does at its own name
 * afterwards changes nothing; the pinned name goes once the connection is made.
 *
 * The health probe and `GET /info` (health.ts, module-info.ts) connect the same way. The pinned name
 * is this process's id and a count, not a random one: the folder is root's alone (checked below),
 * so nobody else can guess or take it, and node:crypto stays off `service start`'s path.
 *
 * Synchronous calls (four local metadata operations, microseconds each): through node:fs/promises
 * each was a trip through libuv's thread pool, and the health probe was the first user of the pool
 * in a `service start`, so its four threads were made right when the socket appeared, while runc
 * and conmon held the cores: 3-11 ms from the socket's appearance to the probe's connect, often
 * after the engine's start answer (issue 20). Still async to its callers: errors are rejections.
 */
export interface PinnedSocket {
  /** Connect to this path. */
  path: string;
  /** Removes the pinned name (after the connection is made; again is harmless). */
  release(): void;
}

let pins = 0;

/** `runDir`: the box's run folder (ROOT/run/blueprint), on the file system of the services' sockets. */
export async function pinSocket(runDir: string, socket: string, module: string): Promise<PinnedSocket> {
  const dir = path.join(runDir, 'connect');
  // Not recursive: no run folder means no socket either (ENOENT: not running), and it is not made here.
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== (process.geteuid?.() ?? 0) || (st.mode & 0o077) !== 0)
    throw new VerificationError(
      `${dir} must be a folder of this user's alone (mode 0700), not a link: nothing was sent`,
      'unsafe-link',
      `Look at who made ${dir}, remove it (blueprint makes it again), and run the command again.`,
    );
  const pinned = path.join(dir, `${process.pid}-${++pins}.sock`);
  // ENOENT (nothing at the name: the module is not running) and EPERM reach the caller as they are.
  try {
    linkSync(socket, pinned);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Left by a process that had this id before and was killed between link and unlink.
    unlinkSync(pinned);
    linkSync(socket, pinned);
  }
  const release = () => {
    try {
      unlinkSync(pinned);
    } catch {}
  };
  let pin: ReturnType<typeof lstatSync>;
  try {
    pin = lstatSync(pinned);
  } catch (err) {
    release();
    throw err;
  }
  if (!pin.isSocket()) {
    release();
    throw new VerificationError(
      `${socket} is not ${module}'s socket (a link or another kind of file is at its name); nothing was sent`,
      'module-socket-not-a-socket',
      `Restart it (\`blueprint service restart ${module}\`), which makes its socket again; if this comes back, the module put it there: report it to its publisher.`,
    );
  }
  return { path: pinned, release };
}
