import { chmod, chown, lstat, readFile, realpath, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BlueprintError, ExitCode } from '../app/base.js';
import { ensureDir, otherWriter, otherWriterOnTheWay } from '../app/folders.js';
import type { DashboardOps } from './ops.js';
import { ensureTokenDir, issueLoginToken, sweepLoginTokens } from './security.js';
import { createHandler } from './server.js';

export type { DashboardOps } from './ops.js';
export { issueLoginToken } from './security.js';

/** Where the dashboard lives under a root's run directory (`/run/blueprint` on the box). */
export function dashboardPaths(runDir: string) {
  return { socket: path.join(runDir, 'dashboard.sock'), tokenDir: path.join(runDir, 'dashboard-login') };
}

/** The group whose members may connect: the admins' group (sudo), as the root's group file says. */
export async function adminGid(root: string, group = 'sudo'): Promise<number | undefined> {
  const text = await readFile(path.join(root, 'etc/group'), 'utf8').catch(() => '');
  const row = text.split('\n').find((l) => l.startsWith(`${group}:`));
  const gid = row ? Number(row.split(':')[2]) : Number.NaN;
  return Number.isInteger(gid) ? gid : undefined;
}

/** Is something answering on this socket? (A second dashboard must not steal a live one's path.) */
export function isRunning(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket, () => {
      c.end();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

export interface DashboardOptions {
  runDir: string;
  ops: DashboardOps;
  /** Group allowed to connect (mode 0660); undefined leaves the socket to its owner alone (0600). */
  gid?: number;
  /** At most this many logged-in sessions (default MAX_SESSIONS, src/web/security.ts). */
  maxSessions?: number;
  /** A model upload that sends nothing for this long is ended (default UPLOAD_IDLE_MS, model-upload.ts). */
  uploadIdleMs?: number;
}

export interface Dashboard {
  server: Server;
  socket: string;
  tokenDir: string;
  close(): Promise<void>;
}

/**
 * Serves the dashboard on a unix socket and nowhere else. The socket is made under a umask that
 * leaves it to its owner, and only then given to the admin group: no moment where another local
 * user could connect. There is no TCP listener to turn on.
 */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const { socket, tokenDir } = dashboardPaths(o.runDir);
  await ensureDir(o.runDir, 0o755); // one level at a time: mkdir's recursion spins under /proc
  const dir = await lstat(o.runDir);
  // Ours (it is given search below), and no one else's to change: they could swap the socket for
  // their own. No allowance: a sticky folder's names are anyone's to add, a group may hold others.
  const who = otherWriter(dir, { stickyIsFine: false, ownGroupIsFine: false });
  if (!dir.isDirectory() || dir.uid !== (process.getuid?.() ?? 0) || who)
    throw new Error(
      `${o.runDir} must be a folder owned by this user and writable by no one else${who ? ` (it is ${who})` : ''}`,
    );
  // Nor a folder above it: whoever can change one could move it away and listen at its socket's
  // name. A sticky one (/tmp) is fine, as others cannot move what is ours there.
  const above = await otherWriterOnTheWay(path.dirname(await realpath(o.runDir)), {
    stickyIsFine: true,
    ownGroupIsFine: false,
  });
  if (above)
    throw new Error(`${o.runDir} must be in folders no one else can change, and ${above.at} is ${above.who}`);
  // A service's start may have made it 0750 (mkdir -p of its socket folder): admins must be able to
  // pass through to the socket, whose own mode (0660 root:sudo) is what admits them. Search only.
  if ((dir.mode & 0o001) === 0) await chmod(o.runDir, (dir.mode & 0o7777) | 0o001);
  await ensureTokenDir(tokenDir);
  await sweepLoginTokens(tokenDir);
  const existing = await lstat(socket).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${socket} exists and is not a socket; remove it`);
    if (await isRunning(socket))
      throw new BlueprintError(
        `a dashboard is already running on ${socket}`,
        'dashboard-running',
        'Use it: `blueprint dashboard url` prints a login link to it. Or stop it first (`systemctl stop blueprint-web`, or Ctrl-C where it was started).',
        ExitCode.conflict,
      );
    await unlink(socket);
  }
  const handler = createHandler({
    ops: o.ops,
    tokenDir,
    maxSessions: o.maxSessions,
    uploadIdleMs: o.uploadIdleMs,
  });
  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  if (o.gid !== undefined) {
    await chown(socket, process.getuid?.() ?? 0, o.gid);
    await chmod(socket, 0o660);
  }
  const sweep = setInterval(() => void sweepLoginTokens(tokenDir), 60_000);
  sweep.unref();
  // Partial model uploads an earlier dashboard left (killed without a reboot): removed now, not at
  // this one's first upload, which may never come. Not waited for; an upload meanwhile keeps its own.
  void o.ops.pruneModelUploads?.().catch(() => {});
  return {
    server,
    socket,
    tokenDir,
    async close() {
      clearInterval(sweep);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await unlink(socket).catch(() => {});
    },
  };
}

/** A login link for a dashboard forwarded to `port` on the admin's machine. */
export async function loginUrl(tokenDir: string, port: number): Promise<string> {
  return `http://localhost:${port}/login?token=${await issueLoginToken(tokenDir)}`;
}
