import { UsageError } from '../../core/errors.js';
import type { PlanGpuAccess } from '../../core/gpu/types.js';
import {
  type CommandGroup,
  type CommandSpec,
  optBool,
  optString,
  type Parsed,
  requirePositionals,
} from '../command.js';
import type { Context } from '../context.js';
import { ratingLines, ratingShort } from '../rating-text.js';

/** The GPU module's planner, loaded only for a service that asks for a GPU. */
export const planGpu: PlanGpuAccess = async (root, need) =>
  (await import('../../core/gpu/index.js')).planGpuAccess(root, need);

/**
 * The engine for a command: the socket from CONTAINER_HOST/DOCKER_HOST/config/default. No ping
 * first: every call maps an absent engine to exit code 6 with the fix, and start is quicker.
 */
async function deps(ctx: Context) {
  const { chooseSocket, openEngine } = await import('../../core/services/engine.js');
  const engine = openEngine(chooseSocket(process.env, ctx.paths.configFile).path);
  return { engine, root: ctx.root, planGpu };
}

const nameArg = (parsed: Parsed, cmd: string) =>
  requirePositionals(parsed, 1, 'a service NAME', `blueprint service ${cmd}`)[0]!;

function fmtBytes(n: number | null): string {
  if (n === null) return '-';
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)}G` : `${(n / 1024 ** 2).toFixed(1)}M`;
}

function fmtUptime(s: number | null): string {
  if (s === null) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

type Status = Awaited<ReturnType<typeof import('../../core/services/status.js').serviceStatus>>;

function statusTable(rows: Status[]): string {
  if (rows.length === 0) return 'No services installed. Install a module with `bpkg install NAME`.';
  const head = [
    'NAME',
    'VERSION',
    'STATE',
    'HEALTH',
    'UPTIME',
    'RESTARTS',
    'MEMORY',
    'CPU%',
    'PIDS',
    'SECURITY',
  ];
  const body = rows.map((r) => [
    r.name,
    r.containerVersion && r.containerVersion !== r.version
      ? `${r.version} (running ${r.containerVersion})`
      : r.version,
    stateText(r),
    r.health,
    fmtUptime(r.uptimeSeconds),
    String(r.restarts),
    fmtBytes(r.memoryBytes),
    r.cpuPercent === null ? '-' : String(r.cpuPercent),
    r.pids === null ? '-' : String(r.pids),
    ratingShort(r.rating),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function stateText(r: Status): string {
  if (r.state !== 'exited') return r.state;
  const exited = `exited (${r.exitCode}${r.oomKilled ? ', OOM' : ''})`;
  if (r.gaveUp) return `${exited}, not restarted after ${r.restarts} restarts`;
  if (r.restartAt)
    return `${exited}, restart in ${fmtUptime(Math.max(0, Math.ceil((Date.parse(r.restartAt) - Date.now()) / 1000)))}`;
  return exited;
}

type WatchEvent = import('../../core/services/watch.js').WatchEvent;

function eventText(e: WatchEvent): string {
  switch (e.kind) {
    case 'scheduled':
      return `${e.name} exited with ${e.exitCode} (crash ${e.crashes} in a row); restarting in ${e.delayMs / 1000} s`;
    case 'restarted':
      return `${e.name} restarted (${e.restarts} since it was last started by hand)`;
    case 'started':
      return `${e.name} started (restart policy always)`;
    case 'gave-up':
      return `${e.name} exited with ${e.exitCode} after ${e.crashes - 1} restarts in a row; left stopped. See \`blueprint service logs ${e.name}\`, then \`blueprint service start ${e.name}\`.`;
    case 'error':
      return `${e.name}: ${e.message}`;
  }
}

const watch: CommandSpec = {
  name: 'watch',
  summary: 'Restart crashed services with backoff, until stopped (blueprint-services.service on the box)',
  details: `A service that crashes comes back after 1 s, then 2 s, 4 s... up to 5 min; with restart
"on-failure" (the default) at most 5 times in a row, then it is left stopped and \`service status\`
says so. A run of 10 minutes clears the count; \`service stop\` holds a service until started again.
Services with restart "always" are also started when the watcher starts (after a reboot).
Prints one line per event; with --json one JSON object per line. Ctrl-C or SIGTERM stops it.`,
  async run(ctx) {
    const { watchServices } = await import('../../core/services/watch.js');
    await watchServices(await deps(ctx), {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onEvent: (e) => ctx.stdout.write(`${ctx.json ? JSON.stringify(e) : eventText(e)}\n`),
    });
  },
};

const start: CommandSpec = {
  name: 'start',
  summary: 'Start a service in its sandbox and wait until it is healthy',
  args: 'NAME',
  options: { 'no-wait': { type: 'boolean', description: 'Return once started, without waiting for health' } },
  details: 'Exit codes: 3 not installed, 6 engine unavailable, 1 failed to become healthy.',
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'start');
    const { startService } = await import('../../core/services/lifecycle.js');
    const r = await startService(await deps(ctx), name, {
      wait: !optBool(parsed, 'no-wait'),
      signal: ctx.signal,
    });
    ctx.result(
      r,
      `${name} ${r.version} started${r.healthy ? `, healthy after ${r.startToHealthyMs} ms` : ''}`,
    );
  },
};

const stop: CommandSpec = {
  name: 'stop',
  summary: 'Stop a service: SIGTERM, then SIGKILL after its stop timeout',
  args: 'NAME',
  options: {
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: "Seconds before SIGKILL (default: the manifest's)",
    },
  },
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'stop');
    const t = optString(parsed, 'timeout');
    if (t !== undefined && !/^\d+$/.test(t))
      throw new UsageError('--timeout needs a whole number of seconds');
    const { stopService } = await import('../../core/services/lifecycle.js');
    const stopped = await stopService(await deps(ctx), name, t === undefined ? undefined : Number(t));
    ctx.result({ name, stopped }, stopped ? `${name} stopped` : `${name} was not running`);
  },
};

const restart: CommandSpec = {
  name: 'restart',
  summary: 'Stop then start a service (picks up an upgraded version)',
  args: 'NAME',
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'restart');
    const { startService, stopService } = await import('../../core/services/lifecycle.js');
    const d = await deps(ctx);
    await stopService(d, name);
    const r = await startService(d, name, { signal: ctx.signal });
    ctx.result(
      r,
      `${name} ${r.version} restarted${r.healthy ? `, healthy after ${r.startToHealthyMs} ms` : ''}`,
    );
  },
};

const status: CommandSpec = {
  name: 'status',
  summary: 'State, uptime, restarts, health, resource use and security rating (all services without NAME)',
  args: '[NAME]',
  details:
    'SECURITY is the rating from 1 to 8 (docs/security-rating.md), from the running container when it runs; with NAME, every point and its reason follows the table.',
  async run(ctx, parsed) {
    const { listServices, serviceStatus } = await import('../../core/services/status.js');
    const d = await deps(ctx);
    const name = parsed.positionals[0];
    if (name) {
      const s = await serviceStatus(d, name);
      ctx.result(s, [statusTable([s]), '', ...ratingLines(s.rating)].join('\n'));
    } else {
      const all = await listServices(d);
      ctx.result(all, statusTable(all));
    }
  },
};

const list: CommandSpec = {
  ...status,
  name: 'list',
  summary: 'Installed services and their state',
  args: '',
};

const logs: CommandSpec = {
  name: 'logs',
  summary: "Print a service's logs with timestamps (kept across restarts, bounded on disk)",
  args: 'NAME',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines until Ctrl-C' },
    tail: { type: 'string', short: 'n', value: 'N', description: 'Only the last N lines' },
    'no-timestamps': { type: 'boolean', description: 'Without the timestamp column' },
  },
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'logs');
    const tail = optString(parsed, 'tail');
    if (tail !== undefined && !/^\d+$/.test(tail)) throw new UsageError('--tail needs a number of lines');
    const { getRegistration } = await import('../../core/services/registry.js');
    await getRegistration(ctx.root, name);
    const { writeLogs } = await import('../../core/services/status.js');
    const d = await deps(ctx);
    if (ctx.json) {
      const { PassThrough } = await import('node:stream');
      const buf = new PassThrough();
      let text = '';
      buf.on('data', (c) => {
        text += c;
      });
      await writeLogs(d.engine, name, buf, {
        tail: tail === undefined ? undefined : Number(tail),
        timestamps: true,
      });
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const i = l.indexOf(' ');
          return { time: l.slice(0, i), line: l.slice(i + 1) };
        });
      ctx.result({ name, lines });
      return;
    }
    await writeLogs(d.engine, name, ctx.stdout as NodeJS.WritableStream & import('node:stream').Writable, {
      follow: optBool(parsed, 'follow'),
      tail: tail === undefined ? undefined : Number(tail),
      timestamps: !optBool(parsed, 'no-timestamps'),
      signal: ctx.signal,
    });
  },
};

const inspect: CommandSpec = {
  name: 'inspect',
  summary:
    'The sandbox asked for, what the running process actually has (read from the kernel and from inside), and the security rating point by point',
  args: 'NAME',
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'inspect');
    const { inspectService } = await import('../../core/services/inspect.js');
    const { formatInspection } = await import('../describe.js');
    const i = await inspectService(await deps(ctx), name);
    ctx.result(i, formatInspection(i));
  },
};

export const serviceGroup: CommandGroup = {
  name: 'service',
  summary: 'Sandboxed AI services: start, stop, restart, status, logs, inspect',
  commands: [start, stop, restart, status, list, logs, inspect, watch],
};
