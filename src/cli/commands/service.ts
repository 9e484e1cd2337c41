import { ExitCode, type StartResult, UsageError } from '../../app/index.js';
import { escapeJson, escapeLine } from '../../present/escape.js';
import { shownHint } from '../../present/root-in-hints.js';
import { startLines, stopLine } from '../../present/service-actions.js';
import { cliBox } from '../box.js';
import {
  type CommandGroup,
  type CommandSpec,
  optBool,
  optString,
  type Parsed,
  requirePositionals,
} from '../command.js';
import { type Context, sayIfSlow } from '../context.js';
import { config } from './service-config.js';
import { rotateTokens, token } from './service-tokens.js';

/**
 * The tables and texts of status, inspect and watch, loaded by those commands: with them, `service
 * start` loaded the inspection and rating modules too (issue 20: fewer modules on the start path).
 */
const presentServices = () => import('../../present/services.js');

const nameArg = (parsed: Parsed, cmd: string) =>
  requirePositionals(parsed, 1, 'a service NAME', `blueprint service ${cmd}`)[0]!;

/** Said when a start waits long (an image loading, a model loading): what for. */
const healthWait = (name: string) => `starting ${name}: waiting until it is healthy (its health check)...`;

const namesArg = (parsed: Parsed, cmd: string) =>
  requirePositionals(parsed, 1, 'a service NAME', `blueprint service ${cmd}`);

/**
 * start and restart of NAME...: every name judged installed before any is acted on, then one by one
 * in the order given, the health wait said when it is long, each one's line as it is done (not with
 * -q); --json: its answer for one NAME, an array of them for several.
 */
async function reportStarts(
  ctx: Context,
  names: string[],
  done: 'started' | 'restarted',
  starting: (name: string) => Promise<StartResult>,
): Promise<void> {
  if (names.length > 1) await cliBox(ctx).services.requireInstalled(names);
  const results: StartResult[] = [];
  for (const name of names) {
    const r = await sayIfSlow(ctx, healthWait(name), starting(name));
    results.push(r);
    if (!ctx.json) ctx.report(r, shownHint(startLines(r, done).join('\n')));
  }
  if (ctx.json) ctx.report(names.length === 1 ? results[0] : results);
}

/**
 * Standard output for a command that runs until stopped (`logs -f`, `watch`): a reader that leaves
 * (`| head`) meets EPIPE, which cli/out.ts drops; `gone` then stops the command, as `tail -f | head`
 * ends, beside Ctrl-C's signal (`signal`), and what is left to write is dropped.
 */
function untilReaderGone(ctx: Context) {
  const gone = new AbortController();
  const write = (text: string | Buffer, done: (err?: Error | null) => void = () => {}) => {
    if (gone.signal.aborted) return done();
    ctx.stdout.write(text, (err?: Error | null) => {
      if ((err as NodeJS.ErrnoException | null | undefined)?.code !== 'EPIPE') return done(err);
      gone.abort();
      done();
    });
  };
  return { write, signal: AbortSignal.any([ctx.signal, gone.signal]) };
}

const watch: CommandSpec = {
  name: 'watch',
  summary: 'Restart crashed services with backoff, until stopped (blueprint-services.service on the box)',
  details: `A service that crashes comes back after 1 s, then 2 s, 4 s... up to 5 min; with restart
"on-failure" (the default) at most 5 times in a row, then it is left stopped and \`service status\`
says so. A run of 10 minutes clears the count; \`service stop\` holds a service until started again.
A running service whose health check fails 3 times in a row, 10 s apart (after its startTimeout),
counts as a crash: it is stopped and restarted with the same backoff. Its first look finds what
happened while no watcher ran: a crash since boot is restarted like one it saw; services that were
running when the box shut down (restart "on-failure" or "always") are started again.
Prints one line per event; with --json one JSON object per line. Ctrl-C or SIGTERM stops it.`,
  async run(ctx) {
    ctx.answerSignal(); // runs until stopped: Ctrl-C or SIGTERM ends it with 0 (the unit's stop)
    const { eventText } = await presentServices();
    // Once, on stderr: a quiet box prints nothing else until something happens. With none
    // installed the watch goes on (a module installed meanwhile is watched from then on: the
    // box's blueprint-services.service runs from its first boot), but says there is nothing yet.
    const names = ctx.json || ctx.quiet ? [] : await cliBox(ctx).services.registered();
    ctx.info(
      names.length
        ? `Watching the installed services (${names.map(escapeLine).join(', ')}): one line per event. Ctrl-C stops.`
        : shownHint(
            'No services are installed: nothing to watch yet. Install a module with `bpkg install NAME` (`bpkg search` lists them); it is watched from then on. Ctrl-C stops.',
          ),
    );
    // Written as they come, past ctx.result: escaped here as it escapes. An error event quotes the
    // engine, which quotes the OCI runtime naming the module image's entrypoint (a package's text).
    // A reader that leaves (`| head -1`) ends the watch after the look it is in: the services are
    // left as they are, as by Ctrl-C; exit 0, as `service logs -f | head`.
    const out = untilReaderGone(ctx);
    await cliBox(ctx).services.watch({
      signal: out.signal,
      onEvent: (e) => out.write(`${ctx.json ? escapeJson(JSON.stringify(e)) : escapeLine(eventText(e))}\n`),
    });
  },
};

const start: CommandSpec = {
  name: 'start',
  summary: 'Start services in their sandboxes and wait until each is healthy',
  args: 'NAME...',
  options: {
    'no-wait': { type: 'boolean', description: 'Return once started, without waiting for health' },
    force: { type: 'boolean', description: 'Start even when its memory limit does not fit in what is left' },
  },
  details: `Memory admission: the service's memory limit (for llm, set from its model) must fit in what
the box has left: MemAvailable less what the running services may still take (each one's limit
less its current use). Otherwise it is refused with both numbers and nothing is created; stop a
service, choose a smaller model or context, or pass --force.
A module's \`uses\` start first, each said on a line of its own before NAME's ("llm 0.1.0 started
(used by rag), healthy after …" or "was already running (used by rag)"; --json: under \`uses\`, the
same object, nested). One found running an older version than the installed one (upgraded, not
restarted) is named with the version that runs, then the installed one and the restart that starts
it (--json: version is the running one, installedVersion the installed one). Several NAMEs start one after the other in the order given, each
judged installed before any starts; --json answers an array, one object per NAME.
One that runs already is left as it is ("was already running"; --json: alreadyRunning true).
Exit codes: 3 not installed, 5 memory does not fit, 6 engine unavailable, 1 failed to become healthy.`,
  async run(ctx, parsed) {
    const services = cliBox(ctx).services;
    await reportStarts(ctx, namesArg(parsed, 'start'), 'started', (name) =>
      services.start(name, {
        wait: !optBool(parsed, 'no-wait'),
        signal: ctx.signal,
        force: optBool(parsed, 'force'),
      }),
    );
  },
};

const stop: CommandSpec = {
  name: 'stop',
  summary: 'Stop services: SIGTERM, then SIGKILL after the stop timeout',
  args: 'NAME...',
  options: {
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: "Seconds before SIGKILL (default: the manifest's)",
    },
    force: {
      type: 'boolean',
      description: 'Stop it even when running services use it (their uses in the manifest)',
    },
  },
  details: `A module that running services use is refused (exit 5, naming them) unless they are named
too or --force is given. Several NAMEs are judged before any stops (each installed, none in use by a
running service not named), then stopped users first, then what they use; --json answers an array
of {name, stopped}.`,
  async run(ctx, parsed) {
    const names = namesArg(parsed, 'stop');
    const t = optString(parsed, 'timeout');
    if (t !== undefined && !/^\d+$/.test(t))
      throw new UsageError('--timeout needs a whole number of seconds');
    const opts = {
      ...(t === undefined ? {} : { timeoutSeconds: Number(t) }),
      force: optBool(parsed, 'force'),
    };
    const services = cliBox(ctx).services;
    const done =
      names.length === 1
        ? [{ name: names[0]!, stopped: await services.stop(names[0]!, opts) }]
        : await services.stopAll(names, opts);
    ctx.report(
      names.length === 1 ? done[0] : done,
      done.map(({ name, stopped }) => stopLine(name, stopped)).join('\n'),
    );
  },
};

const restart: CommandSpec = {
  name: 'restart',
  summary: 'Stop then start services (picks up an upgraded version)',
  args: 'NAME...',
  options: {
    force: { type: 'boolean', description: 'Restart even when its memory limit does not fit (see start)' },
  },
  details: `Memory admission as for start, judged before it stops: a refused restart leaves it running.
Several NAMEs restart one after the other in the order given; --json answers an array.`,
  async run(ctx, parsed) {
    const services = cliBox(ctx).services;
    await reportStarts(ctx, namesArg(parsed, 'restart'), 'restarted', (name) =>
      services.restart(name, { signal: ctx.signal, force: optBool(parsed, 'force') }),
    );
  },
};

const status: CommandSpec = {
  name: 'status',
  summary: 'State, uptime, restarts, health, resource use and security rating (all services without NAME)',
  args: '[NAME]',
  details: `SECURITY is the rating from 1 to 8 (docs/security-rating.md), from the running container when it runs; with NAME, every point and its reason follows the table.
AVG-CPU% is the share of one CPU the service used on average since it started (--json cpuPercent);
MEMORY and PIDS are its use now.
A running service that uses a module which is not running (rag and a stopped embeddings) is said
under the table, with the command that starts it: its own health check passes, its requests fail.

Exit codes with NAME (as systemctl is-active and LSB status; for scripts and Ansible):
  0    running, and healthy or without a health check
  150  running but unhealthy (its health check fails, also while it is starting)
  3    not running (stopped, exited, waiting for its restart, given up on, never started)
  4    not installed
  6    the container engine does not answer (state unknown)
  7    its registration is not readable: run it as root
Without NAME: 0 once every service was read; 7 when a service's registration is damaged (the
others are listed, it has a row saying so and the fix). With --json the state is in "state" and
"health"; a damaged one is {name, state: "damaged", error: {code, message, hint}}.`,
  async run(ctx, parsed) {
    const services = cliBox(ctx).services;
    const name = parsed.positionals[0];
    const { statusTable } = await presentServices();
    if (name) {
      const [{ serviceStatusError, serviceStatusExit }, { ratingLines }] = await Promise.all([
        import('../../app/service-exit.js'),
        import('../../present/rating.js'),
      ]);
      const s = await services.status(name).catch((err) => {
        throw serviceStatusError(err);
      });
      // The modules it uses, when it runs: their state said under the table when one is not running.
      const used =
        s.state === 'running'
          ? (await Promise.all(s.uses.map((u) => services.status(u).catch(() => undefined)))).filter(
              (u) => u !== undefined,
            )
          : [];
      ctx.result(s, [statusTable([s], [], used), '', ...ratingLines(s.rating)].join('\n'));
      return serviceStatusExit(s);
    } else {
      // A damaged registration is a row of its own (what is wrong, the fix), not the whole list's
      // failure; the exit code is still its storage error's (7), so a script sees it.
      const { services: all, damaged } = await services.listAll();
      const rows = [...all, ...damaged.map((d) => ({ name: d.name, state: 'damaged', error: d.error }))];
      ctx.result(
        rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
        statusTable(all, damaged),
      );
      if (damaged.length) return ExitCode.storage;
    }
  },
};

const list: CommandSpec = {
  ...status,
  name: 'list',
  summary: 'Installed services and their state',
  args: '',
  details: `The table of \`blueprint service status\` for every installed service. SECURITY is the rating
from 1 to 8 (docs/security-rating.md), from the running container when it runs.
Exit code 0 once every service was read; 7 when a service's registration is damaged (the others
are listed, it has a row saying so and the fix). With --json the state is in "state" and "health";
a damaged one is {name, state: "damaged", error: {code, message, hint}}.`,
};

/** --since and --until read into ms since the epoch; a value it cannot read is a usage error. */
async function logWindow(parsed: Parsed): Promise<{ since?: number; until?: number }> {
  const given = { since: optString(parsed, 'since'), until: optString(parsed, 'until') };
  if (given.since === undefined && given.until === undefined) return {};
  const w = (await import('../../present/log-time.js')).logWindow(given, Date.now());
  if ('error' in w) throw new UsageError(w.error);
  return w.window;
}

const logs: CommandSpec = {
  name: 'logs',
  summary: "Print a service's logs with timestamps (kept across restarts, bounded on disk)",
  args: 'NAME',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines until Ctrl-C' },
    tail: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: 'Only the last N lines (of the --since/--until window)',
    },
    since: {
      type: 'string',
      value: 'WHEN',
      description: 'Only lines from WHEN on: 10m, 2h, 1h30m, 3d ago, a time, a Unix timestamp',
    },
    until: {
      type: 'string',
      value: 'WHEN',
      description: 'Only lines up to WHEN (the same forms); with --follow, following ends then',
    },
    'no-timestamps': { type: 'boolean', description: 'Without the timestamp column' },
  },
  details: `Each line has the engine's time (to the second); a line the module stamped itself in that same
second (or the one before: the engine reads it a moment later) shows the module's finer time
instead, one time a line.
The engine keeps them in ROOT/var/log/blueprint/services/NAME.log. With the engine down they are
read from there (with a warning); --follow needs the engine (exit 6 without it).
--since and --until take WHEN as \`docker logs\` does: a duration ago (45s, 10m, 2h, 1h30m, 3d, 500ms),
an RFC 3339 time (2026-12-05T10:00:00Z, 2026-12-05T11:00:00+01:00), a date-time without a zone
(2026-12-05T10:00:00 or "2026-12-05 10:00"), taken as the box's local time, a date alone (local
midnight), or a Unix timestamp in seconds (1764928800). --tail N gives the last N lines of that
window. --since with --follow: the lines from then on, then new ones as they
come. --until with --follow: following ends at that time (as \`docker logs -f --until\`; a time
already past just prints up to it). Anything else is a usage error (exit 2).
--json: {name, lines: [{time, line}]}; with --follow one {time, line} object a line as they come.`,
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'logs');
    const tail = optString(parsed, 'tail');
    if (tail !== undefined && !/^\d+$/.test(tail))
      throw new UsageError('--tail needs a positive whole number of lines');
    const services = cliBox(ctx).services;
    // Following runs until stopped: Ctrl-C ends it with 0, as `journalctl -f`.
    if (optBool(parsed, 'follow')) ctx.answerSignal();
    const n = { ...(tail === undefined ? {} : { tail: Number(tail) }), ...(await logWindow(parsed)) };
    // A reader that leaves (`service logs NAME | head`): the rest is dropped and following stops,
    // as `tail -f | head` ends; its EPIPE reached the escaping stream as its own error, a crash.
    const { write: toStdout, signal } = untilReaderGone(ctx);
    if (ctx.json && optBool(parsed, 'follow')) {
      // As `service watch --json`: one JSON object a line, as the lines come ({time, line}).
      await services.followLogs(
        name,
        (l) => {
          const i = l.indexOf(' ');
          toStdout(`${escapeJson(JSON.stringify({ time: l.slice(0, i), line: l.slice(i + 1) }))}\n`);
        },
        { ...n, signal },
      );
      return;
    }
    if (ctx.json) return ctx.result({ name, lines: await services.logs(name, n) });
    // The module wrote these bytes (and echoes whoever reaches its socket): shown escaped, as
    // every other untrusted text the CLI prints, never acted on by the admin's terminal.
    const [{ escapingStream }, { oneTimestampStream }] = await Promise.all([
      import('../../present/escape-stream.js'),
      import('../../present/log-lines.js'),
    ]);
    const { Writable } = process.getBuiltinModule('node:stream');
    const escaped = escapingStream(
      new Writable({ write: (chunk: Buffer | string, _enc, done) => toStdout(chunk, done) }),
    );
    const timestamps = !optBool(parsed, 'no-timestamps');
    // One time a line where the module stamps its own (present/log-lines.ts).
    const out = timestamps ? oneTimestampStream(escaped) : escaped;
    await services.writeLogs(name, out, {
      ...n,
      follow: optBool(parsed, 'follow'),
      timestamps,
      signal,
    });
    for (const s of out === escaped ? [escaped] : [out, escaped])
      await new Promise<void>((resolve, reject) =>
        s.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
  },
};

const inspect: CommandSpec = {
  name: 'inspect',
  summary:
    'The sandbox asked for, what the running process actually has (read from the kernel and from inside), and the security rating point by point',
  args: 'NAME',
  details: `A look, exit 0: a module whose manifest requires a GPU this box cannot give is shown all the
same, its gpu line saying it is missing, with what \`service start\` would answer (its refusal and
fix; --json: startRefused {code, message, hint}). A module with a socket says what it does for the
modules that use it: a token of each one's own (socket.clientTokens), and whether it deletes a
consumer's data when the admin purges that consumer (socket.consumerPurge; --json: consumers
{ownTokens, purgeOnRequest}). A module with settings (\`service config\`) lists each one's value at
the next start, and the one it runs with when that differs (--json: settings {rows, stale}).`,
  async run(ctx, parsed) {
    const name = nameArg(parsed, 'inspect');
    const [i, { formatInspection }, { inspectSettingsLines }] = await Promise.all([
      cliBox(ctx).services.inspect(name),
      presentServices(),
      import('../../present/settings.js'),
    ]);
    // The commands it names (start, reinstall) act on the box inspected: --root kept, as a hint's.
    ctx.result(i, shownHint([formatInspection(i), ...inspectSettingsLines(i)].join('\n')));
  },
};

export const serviceGroup: CommandGroup = {
  name: 'service',
  summary: 'Sandboxed AI services: start, stop, restart, status, logs, inspect, config',
  commands: [start, stop, restart, status, list, logs, inspect, config, watch, token, rotateTokens],
};
