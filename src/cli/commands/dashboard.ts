import {
  BlueprintError,
  ConflictError,
  ExitCode,
  isPermissionDenied,
  NotFoundError,
  UsageError,
} from '../../app/index.js';
import { type CommandSpec, optBool, optString } from '../command.js';

/**
 * `blueprint dashboard`: the web UI on a unix socket (src/web, loaded only here, so no other
 * command pays for it). `blueprint dashboard url`: a fresh one-time login link for the running
 * dashboard. The two processes share nothing but a root-only folder of token hashes under the
 * run directory: `url` writes one, the server consumes it at login.
 */
export const dashboardCommand: CommandSpec = {
  name: 'dashboard',
  summary: 'Serve the web dashboard on a unix socket (`dashboard url`: a one-time login link)',
  args: '[url]',
  options: {
    port: {
      type: 'string',
      value: 'PORT',
      description: 'The local port of your ssh -L, used in the printed link (default 8080)',
    },
    'no-token': {
      type: 'boolean',
      description: 'Print no login link at start (the service does this; use `dashboard url`)',
    },
  },
  details: `The dashboard listens on a unix socket only, never on a TCP port: ROOT/run/blueprint/
dashboard.sock (/run/blueprint/dashboard.sock on the box). Root may connect, and when
ROOT/etc/group has a sudo group, its members too (the socket is 0660, group sudo); with none there
the socket is 0600, root's alone. The line it prints at start says which. From your laptop:
  ssh -L 8080:/run/blueprint/dashboard.sock admin@box
then open the printed link (http://localhost:8080/login?token=...). A token works once, for
10 minutes; \`sudo blueprint dashboard url\` prints another. The image's blueprint-web.service
runs it (off by default; setup --dashboard or apply's dashboard: { enabled: true } turn it on).
A login lasts 12 hours at most, 1 hour idle; 32 are kept at most (one more logs out the login
idle the longest), in the server's memory: a restart logs everyone out.`,
  async run(ctx, parsed) {
    const [sub, ...extra] = parsed.positionals;
    if ((sub !== undefined && sub !== 'url') || extra.length)
      throw new UsageError(
        `Unknown argument: ${[sub, ...extra].join(' ')}`,
        'Usage: blueprint dashboard [url]',
      );
    const portText = optString(parsed, 'port') ?? '8080';
    const port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
      throw new UsageError(`--port ${portText}: not a port number`, 'Example: --port 8080');
    const web = await import('../../web/index.js');
    const { socket, tokenDir } = web.dashboardPaths(ctx.paths.runDir);
    // A socket root's alone (no sudo group) is forwarded by a root login; an admin's cannot open it.
    const howTo = (who: string, login: string) =>
      `Dashboard on ${socket} (unix socket only; ${who}). From your machine:\n  ssh -L ${port}:${socket} ${login}@BOX\nthen open this link (it works once, within 10 minutes):`;

    if (sub === 'url') {
      if (!(await web.isRunning(socket)))
        throw new NotFoundError(
          `No dashboard is running on ${socket}`,
          'Start it: `systemctl start blueprint-web` (or run `blueprint dashboard`).',
        );
      const url = await web.loginUrl(tokenDir, port).catch((err: NodeJS.ErrnoException) => {
        if (isPermissionDenied(err))
          throw new UsageError(
            `Cannot write a login token in ${tokenDir}`,
            'Run it as root: `sudo blueprint dashboard url`.',
          );
        throw err;
      });
      ctx.result({ socket, url }, url);
      return ExitCode.ok;
    }

    const { appOps } = await import('../../web/app-ops.js');
    const gid = await web.adminGid(ctx.root);
    // Who may connect, as the socket's mode says (startDashboard: 0660 to the group, else 0600).
    const who =
      gid === undefined
        ? `root only: ${ctx.root.replace(/\/$/, '')}/etc/group has no sudo group`
        : 'root and the sudo group';
    const dash = await web
      .startDashboard({ runDir: ctx.paths.runDir, ops: appOps(ctx.root), gid })
      .catch((err: Error) => {
        // A typed error keeps its own kind and hint (a run folder that cannot be made: storage, 7).
        if (err instanceof BlueprintError) throw err;
        throw new ConflictError(err.message, 'dashboard-folder', 'Check the folder named.');
      });
    try {
      if (optBool(parsed, 'no-token')) {
        ctx.info(
          `Dashboard on ${socket} (unix socket only; ${who}); \`blueprint dashboard url\` prints a login link.`,
        );
        ctx.result({ socket }, '');
      } else {
        const url = await web.loginUrl(tokenDir, port);
        ctx.info(howTo(who, gid === undefined ? 'root' : 'ADMIN'));
        ctx.result({ socket, url }, url);
      }
      // Serves until stopped: Ctrl-C or SIGTERM (its unit's stop) ends it with 0.
      ctx.answerSignal();
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await dash.close();
    }
    return ExitCode.ok;
  },
};
