import type { Writable } from 'node:stream';
import { NotFoundError, type StorageError } from '../errors.js';
import { planAppArmor } from './apparmor.js';
import { cgroupMemoryLimit } from './cgroup.js';
import type { ContainerInfo } from './container-info.js';
import { type Engine, EngineError, START_ENGINE_HINT } from './engine.js';
import { cgroupUsage, processView, ratingOf } from './inspect.js';
import { checkHealth, inspectContainer, ownOrNone, planWith, type ServiceDeps } from './lifecycle.js';
import { judgeMemoryLimit, type LimitChangedOutside } from './memory-limit-judge.js';
import { type ModuleInfo, readModuleInfoOutcome } from './module-info.js';
import { type ContainerPlan, containerName, NO_GPU, VERSION_LABEL } from './policy.js';
import type { Rating } from './rating.js';
import { getRegistration, type LoadedRegistration, listRegistrations } from './registry.js';
import { readRestartRecord } from './restarts.js';
import { planLooking } from './sandbox-plan.js';
import { planUses, usesOf } from './wiring.js';

export interface ServiceStatus {
  name: string;
  /** Installed version; `containerVersion` differs after an upgrade until the next start. */
  version: string;
  containerVersion: string | null;
  state: string;
  startedAt: string | null;
  uptimeSeconds: number | null;
  /** Restarts after crashes since the admin last started it (by `blueprint service watch`). */
  restarts: number;
  /** When the watcher will start it again after a crash; null when it will not. */
  restartAt: string | null;
  /** Crashed again after 5 restarts in a row (`on-failure`): left stopped until started. */
  gaveUp: boolean;
  /** Why the watcher last counted a crash: it exited, or it stayed unhealthy and was stopped. */
  restartCause: 'exit' | 'unhealthy' | null;
  exitCode: number | null;
  oomKilled: boolean;
  health: 'healthy' | 'unhealthy' | 'none';
  memoryBytes: number | null;
  cpuPercent: number | null;
  pids: number | null;
  /** The security rating; from the running container's facts when it runs (rating.ts). */
  rating: Rating;
  /**
   * What the running module says about itself (`GET /info` on its socket: for llm the model,
   * context length, device and why); null when not running or it gives none. Untrusted text:
   * escape it before showing it (module-info.ts).
   */
  info: ModuleInfo | null;
  /**
   * Present (true) when the running module was asked for its info and gave no whole answer within
   * the read's deadline (1 s): slow or hung, unlike a module that has no /info (info null alone).
   */
  infoUnanswered?: true;
  /** The modules its manifest uses (module wiring), and the installed services that use it. */
  uses: string[];
  usedBy: string[];
  /**
   * `service status NAME` only: present while it runs with another memory limit than its next
   * start gives it (a model installed since, a setting or override changed without a restart):
   * the one the kernel holds it to (its cgroup's, else the engine's: what memory admission counts
   * for it) and the next one.
   */
  runningLimits?: RunningLimits;
  /**
   * `service status NAME` only: present while its container, made from the plan that holds now, runs
   * with another memory limit than that plan's, set on it outside blueprint (`podman update`): not
   * a settings change, and a restart keeps that container (an engine that records the update keeps
   * the limit too). Judged as `service inspect` judges it (memory-limit-judge.ts).
   */
  limitChangedOutside?: LimitChangedOutside;
}

/** A running service's memory limit and the one its next start gives it, where they differ. */
export interface RunningLimits {
  memoryBytes: number;
  nextStartMemoryBytes: number;
}

interface LibpodStats {
  Stats: { MemUsage: number; CPU: number; PIDs: number }[] | null;
}

/** The state of a service whose container name another box's container holds (container-info.ts otherBox). */
export const OTHER_BOX_STATE = 'not created (its name is held by another box)';

async function statusOf(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  all: LoadedRegistration[],
  now = Date.now(),
  /** Whether to compare its limits with its next start's (one service's status; not the list's). */
  withNextLimits = false,
): Promise<ServiceStatus> {
  let held = false;
  const [info, record] = await Promise.all([
    // blueprint-NAME made by another box on this engine (a copied root): none of this one's, said so.
    inspectContainer(deps.engine, reg.name, deps.root).catch((err: unknown) => {
      ownOrNone(err);
      held = true;
      return undefined;
    }),
    readRestartRecord(deps.root, reg.name),
  ]);
  const running = info?.State.Running === true;
  const apparmor = await planAppArmor(reg.name);
  // Stopped: rated by what a start would apply, so the score is the one it gets once running
  // (docs/security-rating.md). The GPU planner reads the kernel's view and the CDI specs, no vendor
  // tool (the console asks every 2 s); asked only while the service is stopped and wants a GPU.
  // `required` with none usable: a start refuses it, and the manifest's request counts.
  const gpu =
    running || reg.spec.gpu === 'none' || !deps.planGpu
      ? NO_GPU
      : await deps.planGpu(deps.root, reg.spec.gpu).catch(() => undefined);
  let plan: ContainerPlan | undefined;
  try {
    plan = planWith(deps.root, reg, gpu ?? NO_GPU, apparmor, await planUses(deps.root, reg));
  } catch {
    // A registration the sandbox refuses is rated from its manifest alone; `start` says why.
  }
  const rating = await ratingOf(
    deps.root,
    reg,
    apparmor,
    plan,
    // Without a planner (a box with no GPU module) a start gives no GPU either.
    gpu !== undefined,
    running ? { info, view: await processView(info.State.Pid), engineSocket: deps.engine.socket } : undefined,
  );
  const base: ServiceStatus = {
    name: reg.name,
    version: reg.version,
    containerVersion: info?.Config.Labels[VERSION_LABEL] ?? null,
    // Gone: the engine says running, the kernel has no such process (container-info.ts).
    state: held ? OTHER_BOX_STATE : info?.State.Gone ? 'gone' : (info?.State.Status ?? 'not created'),
    startedAt: running ? info.State.StartedAt : null,
    uptimeSeconds: running ? Math.max(0, Math.round((now - Date.parse(info.State.StartedAt)) / 1000)) : null,
    restarts: record.restarts,
    restartAt: !running && record.restartAt ? record.restartAt : null,
    gaveUp: record.gaveUp ?? false,
    restartCause: record.crashes > 0 || record.gaveUp ? (record.lastCause ?? 'exit') : null,
    exitCode:
      info && !running && !info.State.Gone && info.State.Status !== 'created' ? info.State.ExitCode : null,
    oomKilled: info?.State.OOMKilled ?? false,
    // Health is judged only while it runs: a stopped service is not unhealthy (issue 12).
    health: 'none',
    memoryBytes: null,
    cpuPercent: null,
    pids: null,
    info: null,
    rating,
    uses: usesOf(reg).map((u) => u.name),
    usedBy: all.filter((r) => usesOf(r).some((u) => u.name === reg.name)).map((r) => r.name),
  };
  if (!running) return base;
  // Memory and pids from the kernel's cgroup files (they work in nested cgroup namespaces, where
  // the engine's stats come back empty); CPU% from the engine's one-shot stats, which (with no
  // sample before) is the container's average since it started, not its use now.
  const [healthy, usage, stats, moduleInfo, limits] = await Promise.all([
    reg.spec.health ? checkHealth(deps.root, reg) : Promise.resolve(false),
    cgroupUsage(info.State.Pid),
    deps.engine
      .libpod<LibpodStats>('GET', '/containers/stats', {
        query: { containers: containerName(reg.name), stream: false },
      })
      .catch(() => undefined),
    readModuleInfoOutcome(deps.root, reg),
    withNextLimits ? judgedLimits(deps, reg, info) : {},
  ]);
  const s = stats?.Stats?.[0];
  return {
    ...base,
    health: reg.spec.health ? (healthy ? 'healthy' : 'unhealthy') : 'none',
    memoryBytes: usage.memoryBytes ?? s?.MemUsage ?? null,
    cpuPercent: s ? Math.round(s.CPU * 10) / 10 : null,
    pids: usage.pids ?? s?.PIDs ?? null,
    info: moduleInfo.info,
    ...(moduleInfo.unanswered ? { infoUnanswered: true as const } : {}),
    ...limits,
  };
}

/**
 * Whose doing a running container's memory limit is, when it is not its plan's: a plan changed since
 * it was made (its next start gives another: runningLimits), or a limit set on it outside blueprint
 * (limitChangedOutside). Planned as a start would plan it (the models it mounts are read for an
 * llm's: one service's status, not every row of the list) and judged as `service inspect` judges it.
 * A settings or overrides file its start would refuse says nothing here: `service start` says why.
 */
async function judgedLimits(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  info: ContainerInfo,
): Promise<{ runningLimits?: RunningLimits; limitChangedOutside?: LimitChangedOutside }> {
  const [planned, kernelBytes] = await Promise.all([
    planLooking(deps, reg).catch(() => undefined),
    cgroupMemoryLimit(info.State.Pid),
  ]);
  return planned ? judgeMemoryLimit(info, planned.plan, kernelBytes) : {};
}

export async function serviceStatus(deps: ServiceDeps, name: string): Promise<ServiceStatus> {
  return statusOf(
    deps,
    await getRegistration(deps.root, name),
    await listRegistrations(deps.root),
    Date.now(),
    true,
  );
}

/**
 * Every installed service's status. A damaged registration is said (with its fix), not left out
 * unseen: thrown, unless `damaged` is given, which then receives each (`service list` shows the
 * others and a row for it).
 */
export async function listServices(
  deps: ServiceDeps,
  damaged?: { name: string; error: StorageError }[],
): Promise<ServiceStatus[]> {
  const all = await listRegistrations(deps.root, undefined, (name, error) => {
    if (!damaged) throw error;
    damaged.push({ name, error });
  });
  return Promise.all(all.map((r) => statusOf(deps, r, all)));
}

/** Splits the engine's multiplexed log frames (8-byte header: stream, 0, 0, 0, size). */
export function demuxFrames(buf: Buffer): { stream: 'stdout' | 'stderr'; text: string }[] {
  const out: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out.push({
      stream: buf[i] === 2 ? 'stderr' : 'stdout',
      text: buf.subarray(i + 8, i + 8 + size).toString('utf8'),
    });
    i += 8 + size;
  }
  return out;
}

export interface LogOptions {
  /** The box asking: another box's container of the name is refused (container-info.ts otherBox). */
  root: string;
  follow?: boolean;
  /** Last N lines; all when absent. */
  tail?: number;
  timestamps?: boolean;
  /** Only lines from this time on (ms since the epoch); with follow, then the new ones. */
  since?: number;
  /** Only lines up to this time (ms since the epoch); with follow, following ends then. */
  until?: number;
  signal?: AbortSignal;
}

/**
 * Writes the service's logs (kept by the engine in a bounded k8s-file under
 * ROOT/var/log/blueprint/services, so they survive restarts and re-creation) to `out`.
 */
export async function writeLogs(
  engine: Engine,
  name: string,
  out: Writable,
  opts: LogOptions,
): Promise<void> {
  if (!(await inspectContainer(engine, name, opts.root)))
    throw new NotFoundError(
      `${name} has never been started, so it has no logs`,
      `Start it with \`blueprint service start ${name}\`.`,
    );
  const docker = await engine.docker();
  const container = docker.getContainer(containerName(name));
  // The engine takes the window as times (RFC 3339, UTC: a zone-less one it would read as UTC).
  const iso = (ms: number) => new Date(ms).toISOString();
  const base = {
    stdout: true,
    stderr: true,
    timestamps: opts.timestamps ?? true,
    ...(opts.since !== undefined ? { since: iso(opts.since) } : {}),
    ...(opts.until !== undefined ? { until: iso(opts.until) } : {}),
  };
  // The engine takes the last N lines of the log, then the window: without --until the window is
  // the log's end, so that is the last N in the window; with --until, the lines are counted here.
  const tailHere = opts.tail !== undefined && opts.until !== undefined;
  const tail = opts.tail !== undefined && !tailHere ? { tail: opts.tail } : {};
  // Following until a time that has passed is reading up to it.
  if (!opts.follow || (opts.until !== undefined && opts.until <= Date.now())) {
    const buf = await engine.call(`reading the logs of ${name}`, (signal) =>
      container.logs({ ...base, ...tail, follow: false, ...(signal ? { abortSignal: signal } : {}) }),
    );
    const text = demuxFrames(buf)
      .map((f) => f.text)
      .join('');
    if (!tailHere) out.write(text);
    else if (opts.tail! > 0) {
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      const last = lines.slice(-opts.tail!);
      if (last.length) out.write(`${last.join('\n')}\n`);
    }
    return;
  }
  const stream = await engine.call(`following the logs of ${name}`, () =>
    container.logs({ ...base, ...tail, follow: true }),
  );
  let ends: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      (stream as unknown as { destroy(): void }).destroy();
      resolve();
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    // --until with --follow: following ends at that time, as `docker logs -f --until` does (a
    // timer waits at most 2^31-1 ms: a later time is waited for in steps).
    const arm = (until: number) => {
      const left = until - Date.now();
      ends = left > 2 ** 31 - 1 ? setTimeout(() => arm(until), 2 ** 31 - 1) : setTimeout(stop, left);
    };
    if (opts.until !== undefined) arm(opts.until);
    docker.modem.demuxStream(stream, out, out);
    stream.on('end', resolve);
    // The engine gone mid-follow (restarted, stopped): its error, not Node's bare "aborted".
    stream.on('error', (err) =>
      opts.signal?.aborted
        ? resolve()
        : reject(
            new EngineError(
              `The container engine closed the connection while following the logs of ${name}`,
              'engine-down',
              START_ENGINE_HINT,
              { cause: err },
            ),
          ),
    );
  }).finally(() => clearTimeout(ends));
}
