import type { Writable } from 'node:stream';
import type { StorageError } from '../core/errors.js';
import type { ConfigChange } from '../core/services/admission.js';
import { type ContainerInfo, inspectContainer } from '../core/services/container-info.js';
import type { ServiceInspection } from '../core/services/inspect.js';
import type { ServiceDeps, StartResult } from '../core/services/lifecycle.js';
import type { LoadedRegistration } from '../core/services/registry.js';
import type { SettingsView } from '../core/services/settings.js';
import type { ServiceStatus } from '../core/services/status.js';
import type { WatchEvent } from '../core/services/watch.js';
import type { BoxContext } from './context.js';

/** An installed service whose registration file cannot be read: what is wrong and the fix (hint). */
export interface DamagedService {
  name: string;
  error: { code: string; message: string; hint?: string };
}

/** One log line: the engine's timestamp (RFC 3339) and the text. */
export interface LogLine {
  time: string;
  line: string;
}

export interface LogOptions {
  /** Only the last N lines (default: all; `followLogs` defaults to 200). */
  tail?: number;
  /** Prefix each line with its timestamp (default true). */
  timestamps?: boolean;
  /** Only lines from this time on (ms since the epoch); `tail` counts the last N in the window. */
  since?: number;
  /** Only lines up to this time (ms since the epoch); following ends then, as `docker logs -f`. */
  until?: number;
  signal?: AbortSignal;
}

/**
 * Sandboxed services (installed modules with a `service` section). Every operation talks to the
 * box's one engine connection; an absent engine is an `EngineError` (exit 6) with the fix, an
 * unknown service a `NotFoundError` (exit 3). Names and states may carry untrusted text.
 */
/** An installed service as registered at install (no engine needed). */
export interface ServiceRegistration {
  name: string;
  version: string;
  /** The manifest's network mode: none, loopback-socket, outbound. */
  network: string;
  /** Outbound network was approved by the admin at install (`--yes`). */
  outboundApproved: boolean;
  /** The packages it mounts at start (`model-*`: llm serves the model packages installed). */
  packageMounts: string[];
}

export interface ServiceOps {
  /** Names of installed services, from their registrations (no engine needed). */
  registered(): Promise<string[]>;
  /** Installed services with their version and network mode (no engine needed). */
  registrations(): Promise<ServiceRegistration[]>;
  /** Every installed service: state, health, uptime, restarts, resources, security rating. */
  list(): Promise<ServiceStatus[]>;
  /**
   * As list(), but a damaged registration does not fail it: each is returned in `damaged` with its
   * error (code, message, the fix as hint) and the others are listed (`service list`).
   */
  listAll(): Promise<{ services: ServiceStatus[]; damaged: DamagedService[] }>;
  status(name: string): Promise<ServiceStatus>;
  /**
   * Of what an install brought in by name (not as a dependency: the module that uses one starts
   * it), the modules with a service that do not run: a module runs only once `service start` starts
   * it, which a user of `ollama run` is not told otherwise. An engine that cannot say names none.
   */
  notStarted(changes: { name: string; dependencyOf?: string[] }[]): Promise<string[]>;
  /**
   * Starts in the sandbox and (unless `wait: false`) waits until its health check answers. First,
   * memory admission (core/services/admission.ts): its memory limit must fit in what the box has
   * left, else `AdmissionError` (exit 5) with both numbers and what to do, nothing created; `force`
   * starts it anyway.
   */
  start(name: string, opts?: { wait?: boolean; signal?: AbortSignal; force?: boolean }): Promise<StartResult>;
  /**
   * SIGTERM, then SIGKILL after `timeoutSeconds` (default: the manifest's). False: was not running.
   * A module that running services use (`uses`) is refused (ConflictError `in-use`, naming them)
   * unless `force`.
   */
  stop(name: string, opts?: { timeoutSeconds?: number; force?: boolean }): Promise<boolean>;
  /**
   * Several at once (`service stop a b`), judged before any stops: each installed (NotFoundError),
   * and none used by a running service not named (ConflictError `in-use`) unless `force`. Consumers
   * stop before what they use. False for one that was not running.
   */
  stopAll(
    names: string[],
    opts?: { timeoutSeconds?: number; force?: boolean },
  ): Promise<{ name: string; stopped: boolean }[]>;
  /** NotFoundError for the first of `names` that is not an installed service (before acting on several). */
  requireInstalled(names: string[]): Promise<void>;
  /** Stop, then start (picks up an upgraded version), waiting for health; admitted as `start` is. */
  restart(name: string, opts?: { signal?: AbortSignal; force?: boolean }): Promise<StartResult>;
  /** The logs so far (bounded on disk, kept across restarts). NotFoundError if never started. */
  logs(name: string, opts?: LogOptions): Promise<LogLine[]>;
  /**
   * Follows the logs: `onLine` gets each new line (with its timestamp unless `timestamps: false`,
   * starting with the last `tail`, default 200) until `signal` aborts (then it resolves) or the
   * container's log ends.
   */
  followLogs(
    name: string,
    onLine: (line: string) => void,
    opts: LogOptions & { signal: AbortSignal },
  ): Promise<void>;
  /** The logs as the engine sends them, written to `out` (the CLI streams to stdout). */
  writeLogs(name: string, out: Writable, opts?: LogOptions & { follow?: boolean }): Promise<void>;
  /** The sandbox asked for, what the running process has (from the kernel), and the rating point by point. */
  inspect(name: string): Promise<ServiceInspection>;
  /** The module's settings: each one's value, default and bounds, and stored ones not applied. */
  config(name: string): Promise<SettingsView>;
  /**
   * Sets and unsets settings, all judged before anything is written (UsageError naming what each
   * allows). Applied at the next start; with `restart`, a running service is restarted now.
   * `dryRun`: judged the same, the settings it would leave, nothing written (a confirmation page).
   */
  configure(
    name: string,
    opts: {
      set?: Record<string, string>;
      unset?: string[];
      restart?: boolean;
      signal?: AbortSignal;
      dryRun?: boolean;
    },
  ): Promise<SettingsChange>;
  /** Supervises crashed services with backoff until `signal` aborts (`blueprint service watch`). */
  watch(opts: { signal?: AbortSignal; onEvent: (e: WatchEvent) => void }): Promise<void>;
  /**
   * Sets the module's access token (`token`, else a fresh random one) or, with `remove`, takes it
   * away: written into the module's data folder without following anything the module left there
   * (core/services/module-token.ts). It applies at the module's next start, and at the next start
   * of the modules that use it. UsageError for a token no client could send.
   */
  setToken(
    name: string,
    opts?: { token?: string; remove?: boolean },
  ): Promise<{ name: string; file: string; token?: string; usedBy: string[]; changed: boolean }>;
  /**
   * New tokens for the modules that use `provider` (a provider taking a token per consumer), or for
   * `consumer` alone: the old ones are refused at once; the running ones named, or restarted with
   * `restart` (app/token-rotation.ts). ConflictError for a provider without them.
   */
  rotateTokens(
    provider: string,
    opts?: { consumer?: string; restart?: boolean; signal?: AbortSignal },
  ): Promise<import('./token-rotation.js').TokenRotation>;
  /** Which installed modules take an access token, have one set, and which modules use them. */
  tokens(): Promise<import('./token-rotation.js').TokenState[]>;
}

/** What `service config NAME KEY=VALUE` did: the settings after, and whether the service runs. */
export interface SettingsChange extends SettingsView {
  changed: boolean;
  /** Running with the old settings (not restarted): they apply at its next restart. */
  running: boolean;
  /** With `restart` and a running service: its restart. */
  restarted?: StartResult;
}

/** Memory admission (core/services/admission.ts): throws `AdmissionError` when it does not fit. */
async function admit(
  deps: ServiceDeps,
  name: string,
  except: string[] = [],
  inspected?: Promise<ContainerInfo | undefined>,
  registered?: Promise<LoadedRegistration>,
  /** A `service config --restart`'s change: the refusal's hint says it without --restart. */
  change?: ConfigChange,
  /** Its settings to judge instead of the file's. */
  settings?: Record<string, string>,
): Promise<void> {
  const { AdmissionError, admitStart } = await import('../core/services/admission.js');
  const verdict = await admitStart(deps, name, undefined, except, inspected, registered, settings);
  if (!verdict.ok) throw new AdmissionError(verdict, change);
}

export function serviceOps(ctx: BoxContext): ServiceOps {
  const deps = () => ctx.serviceDeps();
  const status = () => import('../core/services/status.js');
  const lifecycle = () => import('../core/services/lifecycle.js');
  const ops: ServiceOps = {
    async registered() {
      const { listRegistrations } = await import('../core/services/registry.js');
      return (await listRegistrations(ctx.root)).map((r) => r.name);
    },
    async registrations() {
      const { listRegistrations } = await import('../core/services/registry.js');
      return (await listRegistrations(ctx.root)).map((r) => ({
        name: r.name,
        version: r.version,
        network: r.spec.network,
        outboundApproved: r.approvals.outboundNetwork,
        packageMounts: (r.spec.packageMounts ?? []).map((m) => m.packages),
      }));
    },
    list: async () => (await status()).listServices(await deps()),
    async listAll() {
      const found: { name: string; error: StorageError }[] = [];
      const services = await (await status()).listServices(await deps(), found);
      return { services, damaged: found.map(({ name, error }) => ({ name, error: error.toJSON() })) };
    },
    status: async (name) => (await status()).serviceStatus(await deps(), name),
    async notStarted(changes) {
      const named = changes.filter((c) => !c.dependencyOf?.length);
      const states = await Promise.all(named.map((c) => ops.status(c.name).catch(() => undefined)));
      return named.filter((_, i) => states[i] && states[i].state !== 'running').map((c) => c.name);
    },
    async start(name, { force, ...opts } = {}) {
      const d = await deps();
      // One inspect for admission and start (issue 20), asked before the modules that plan and
      // create the container are loaded: Podman answers while they compile. Admission runs inside
      // start, beside the reads that plan the container, before any write.
      const inspected = inspectContainer(d.engine, name, d.root);
      inspected.catch(() => {}); // met (and thrown) by whichever awaits it first
      // One turn of the event loop: the socket's connect completes and the request is written.
      // Without it the request waited in Node's buffer until the modules below had compiled.
      await new Promise((resolve) => setImmediate(resolve));
      if (!force) import('../core/services/admission.js').catch(() => {}); // loads beside lifecycle
      const { startService } = await lifecycle();
      return startService(d, name, {
        ...opts,
        inspected,
        ...(force ? {} : { admit: (registered) => admit(d, name, [], inspected, registered) }),
      });
    },
    stop: async (name, opts = {}) =>
      (await lifecycle()).stopService(await deps(), name, opts.timeoutSeconds, {
        force: opts.force === true,
      }),
    stopAll: async (names, opts = {}) =>
      (await lifecycle()).stopServices(await deps(), names, opts.timeoutSeconds, {
        force: opts.force === true,
      }),
    async requireInstalled(names) {
      const { getRegistration } = await import('../core/services/registry.js');
      for (const n of names) await getRegistration(ctx.root, n);
    },
    async restart(name, opts = {}) {
      const { startService, stopService } = await lifecycle();
      const d = await deps();
      // Judged before it stops (its own memory counts as free): a refused restart leaves it running.
      if (!opts.force) await admit(d, name, [name]);
      // A restart of a used module is the admin's doing and brief: its users are not asked about.
      await stopService(d, name, undefined, { force: true });
      return startService(d, name, opts.signal ? { signal: opts.signal } : {});
    },
    async logs(name, opts = {}) {
      // Not import(): this module runs inside the start part (LAZY_START, scripts/build-options.mjs).
      const { PassThrough } = process.getBuiltinModule('node:stream');
      const buf = new PassThrough();
      let text = '';
      buf.on('data', (c) => {
        text += c;
      });
      await ops.writeLogs(name, buf, { ...opts, timestamps: true, follow: false });
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const i = l.indexOf(' ');
          return { time: l.slice(0, i), line: l.slice(i + 1) };
        });
    },
    async followLogs(name, onLine, opts) {
      const { Writable } = process.getBuiltinModule('node:stream');
      let rest = '';
      const out = new Writable({
        write(chunk, _enc, done) {
          const lines = (rest + String(chunk)).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) onLine(l);
          done();
        },
      });
      // From a time on: every line since then, not the last 200 of them.
      await ops.writeLogs(name, out, {
        ...(opts.since === undefined ? { tail: 200 } : {}),
        ...opts,
        follow: true,
      });
    },
    async writeLogs(name, out, opts = {}) {
      const { getRegistration } = await import('../core/services/registry.js');
      await getRegistration(ctx.root, name);
      try {
        await (await status()).writeLogs(ctx.engine(), name, out, {
          root: ctx.root,
          timestamps: opts.timestamps ?? true,
          ...(opts.follow ? { follow: true } : {}),
          ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(opts.until !== undefined ? { until: opts.until } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        // The engine down: what it kept on disk (the k8s-file the service logs to) is still there.
        if ((err as { code?: string }).code !== 'engine-down') throw err;
        const [{ readKeptLogs, writeKeptLines }, { serviceDirs }, { EngineError }] = await Promise.all([
          import('../core/services/kept-logs.js'),
          import('../core/services/policy.js'),
          import('../core/services/engine.js'),
        ]);
        const file = serviceDirs(ctx.root, name).logFile;
        const lines = await readKeptLogs(file, {
          ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(opts.until !== undefined ? { until: opts.until } : {}),
        });
        if (!lines) throw err;
        // Following needs the engine; the lines so far do not: the hint says how to read them now.
        if (opts.follow) {
          const e = err as InstanceType<typeof EngineError>;
          throw new EngineError(
            e.message,
            e.code,
            `${e.hint ? `${e.hint} ` : ''}Meanwhile \`blueprint service logs ${name}\` (without --follow) shows the lines kept on disk.`,
            { cause: err },
          );
        }
        ctx.options.warn?.(
          `${(err as Error).message}: these are the logs kept on disk (${file}); following them needs the engine.`,
        );
        writeKeptLines(out, lines, opts.timestamps ?? true);
      }
    },
    inspect: async (name) => (await import('../core/services/inspect.js')).inspectService(await deps(), name),
    async setToken(name, opts = {}) {
      const [{ newAccessToken, setAccessToken }, { usersOf }] = await Promise.all([
        import('../core/services/module-token.js'),
        import('../core/services/wiring.js'),
      ]);
      const token = opts.remove ? undefined : (opts.token ?? newAccessToken());
      const { file, changed } = await setAccessToken(ctx.root, name, token);
      return {
        name,
        file,
        ...(token === undefined ? {} : { token }),
        usedBy: await usersOf(ctx.root, name),
        changed,
      };
    },
    rotateTokens: async (provider, opts = {}) =>
      (await import('./token-rotation.js')).rotateTokens(ctx, ops, provider, opts),
    tokens: async () => (await import('./token-rotation.js')).tokenStates(ctx),
    async config(name) {
      const [{ getRegistration }, { settingsView }] = await Promise.all([
        import('../core/services/registry.js'),
        import('../core/services/settings.js'),
      ]);
      return settingsView(ctx.root, await getRegistration(ctx.root, name));
    },
    async configure(name, opts) {
      const [{ getRegistration }, { changeSettings }] = await Promise.all([
        import('../core/services/registry.js'),
        import('../core/services/settings-change.js'),
      ]);
      const reg = await getRegistration(ctx.root, name);
      const change = (dryRun?: boolean) =>
        changeSettings(ctx.root, reg, opts.set ?? {}, opts.unset ?? [], dryRun);
      if (opts.dryRun) {
        const { view, changed } = await change(true);
        return { ...view, changed, running: false };
      }
      // Whether it runs with the old ones; an engine that does not answer: not known to run.
      const running = await ops.status(name).then(
        (s) => s.state === 'running',
        () => false,
      );
      if (opts.restart && running) {
        // The restart is judged by memory admission before anything is written, with the new
        // values: refused, the file stays as it was (not left for a later start unsaid).
        const after = (await change(true)).view;
        const values: Record<string, string> = {};
        for (const r of after.settings) if (r.value !== undefined) values[r.key] = r.value;
        for (const r of after.stale) values[r.key] = r.value;
        await admit(
          await deps(),
          name,
          [name],
          undefined,
          Promise.resolve(reg),
          { set: opts.set ?? {}, unset: opts.unset ?? [] },
          values,
        );
      }
      const { view, changed } = await change();
      if (opts.restart && running) {
        const restarted = await ops.restart(name, opts.signal ? { signal: opts.signal } : {});
        return { ...view, changed, running: false, restarted };
      }
      return { ...view, changed, running: running && changed };
    },
    async watch(opts) {
      const { watchServices } = await import('../core/services/watch.js');
      await watchServices(await deps(), {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onEvent: opts.onEvent,
      });
    },
  };
  return ops;
}
