import { ConflictError, InterruptedError } from '../errors.js';
import { type ContainerInfo, containerName, inspectContainer } from './container-info.js';
import { ensureContainer, keptBy } from './ensure-container.js';
import { waitHealthy } from './health.js';
import { allInOrder } from './in-order.js';
import { serviceDirs, VERSION_LABEL } from './policy.js';
import { getRegistration, type LoadedRegistration } from './registry.js';
import { startRestartRecord } from './restarts.js';
import { planFor, type ServiceDeps } from './sandbox-plan.js';
import { planUses, usesOf } from './wiring.js';

export interface StartResult {
  name: string;
  /** The version that runs: for one found running, its container's (an upgrade leaves it until a restart). */
  version: string;
  /**
   * The installed version, given when it is not the one that runs (a used module found running
   * from before an upgrade): `blueprint service restart NAME` starts it.
   */
  installedVersion?: string;
  healthy: boolean | null;
  /** Milliseconds from the start request to the first healthy answer. */
  startToHealthyMs: number | null;
  /** It ran before this start (the container kept as it was): nothing was started. */
  alreadyRunning: boolean;
  /**
   * The modules it uses, in the order they were judged: each started first or found running
   * (alreadyRunning), theirs nested. Absent when it uses none.
   */
  uses?: StartResult[];
  /** Its API's socket on this box (ROOT/run/blueprint/services/NAME/FILE), when it has one. */
  socket?: string;
}

export interface StartOptions {
  wait?: boolean;
  signal?: AbortSignal;
  chain?: string[];
  /** The container's inspect, when the caller has already asked for it (admission did). */
  inspected?: Promise<ContainerInfo | undefined>;
  /**
   * Memory admission (admission.ts): it runs while the registration is read and the container
   * planned (reads only); nothing is written, created or started before it has passed.
   */
  admit?: (registered: Promise<LoadedRegistration>) => Promise<void>;
}

export async function startService(
  deps: ServiceDeps,
  name: string,
  opts: StartOptions = {},
): Promise<StartResult> {
  // The container's state is asked while the registration is read (its errors come second).
  const inspected = opts.inspected ?? inspectContainer(deps.engine, name, deps.root);
  inspected.catch(() => {});
  const registered = getRegistration(deps.root, name);
  registered.catch(() => {}); // met below, in order
  const admitted = opts.admit?.(registered); // reads the same registration, not its own copy
  // A module that uses none is planned beside admission; one that does, once those have started.
  const planning = registered.then((r) => (usesOf(r).length ? undefined : planFor(deps, r)));
  // Admission's refusal comes first, then the registration's error, then the plan's.
  const [, reg, planned] = await allInOrder([admitted, registered, planning] as const);
  const used = usesOf(reg).length > 0;
  const usedResults = await startUsed(deps, reg, opts.chain ?? [], opts.signal);
  // Starting what it uses took a while: look again then (the watcher may have acted meanwhile).
  const info = used ? await inspectContainer(deps.engine, name, deps.root) : await inspected;
  // An admin's start: a fresh count of crashes, and the exit it starts over is not one. Written
  // (with its fsync) while the engine creates the container, after the request has gone (its
  // node:fs/promises and file handles are not on the way to create); done before it starts. A
  // crash between create and this write leaves a created container that never ran beside the old
  // record: a start again reuses it (same spec label) and writes the record (test/services/start-path.test.ts).
  const record = () => startRestartRecord(deps.root, name, info);
  const plan = await ensureContainer(deps, reg, info ?? null, planned, record);
  // From the inspect the start made anyway: no engine call more on the start path.
  const alreadyRunning = Boolean(info?.State.Running) && keptBy(info, plan);
  const t0 = Date.now(); // not performance.now(): its global loads perf_hooks on the start path
  // 304: already running.
  const starting = startContainer(deps, reg);
  const result: StartResult = {
    name,
    version: reg.version,
    healthy: null,
    startToHealthyMs: null,
    alreadyRunning,
    ...(used ? { uses: usedResults } : {}),
    // Where its clients go (an Ollama user looks for "listening on …"); a path, not URL parsing.
    ...(reg.spec.socket
      ? { socket: `${serviceDirs(deps.root, name).socketDir}/${reg.spec.socket.file}` }
      : {}),
  };
  if (opts.wait === false || !reg.spec.health) {
    await starting;
    return result;
  }
  // Health is watched from the start request on (the service may listen before the engine answers);
  // a failed start stops the watch and its error is the one thrown.
  const failed = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const healthy = waitHealthy(deps, reg, signal, starting);
  healthy.catch(() => {});
  await starting.catch((err: unknown) => {
    failed.abort(err);
    throw err;
  });
  await healthy.catch((err: unknown) => {
    // Ctrl-C once the engine started it: the service runs, only the wait for its health ends.
    if (opts.signal?.aborted)
      throw new InterruptedError(
        `Interrupted while waiting for ${name} to become healthy`,
        `${name} was started and is left running: \`blueprint service status ${name}\` shows whether it became healthy, \`blueprint service stop ${name}\` stops it.`,
      );
    throw err;
  });
  return { ...result, healthy: true, startToHealthyMs: Date.now() - t0 };
}

/**
 * What a service uses is running and healthy before it starts: each is started (and waited for)
 * unless it runs already. A loop of `uses` is refused rather than followed.
 */
async function startUsed(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  chain: string[],
  signal?: AbortSignal,
): Promise<StartResult[]> {
  const here = [...chain, reg.name];
  const results: StartResult[] = [];
  await planUses(deps.root, reg); // each installed, in range, with a socket; else say which
  for (const { name } of usesOf(reg)) {
    if (here.includes(name))
      throw new ConflictError(
        `Modules use each other in a loop: ${[...here, name].join(' → ')}`,
        'uses-loop',
        'A module cannot wait for one that waits for it; its publisher must break the loop.',
      );
    const info = await inspectContainer(deps.engine, name, deps.root);
    const used = await getRegistration(deps.root, name);
    if (info?.State.Running) {
      if (used.spec.health) await waitHealthy(deps, used, signal);
      // What runs is what NAME talks to: an upgrade leaves the old version running until a restart.
      const runs = info.Config.Labels[VERSION_LABEL] || used.version;
      results.push({
        name,
        version: runs,
        ...(runs === used.version ? {} : { installedVersion: used.version }),
        healthy: used.spec.health ? true : null,
        startToHealthyMs: null,
        alreadyRunning: true,
      });
      continue;
    }
    const started = await startService(deps, name, { chain: here, ...(signal ? { signal } : {}) }).catch(
      (err: unknown) => {
        // Ctrl-C once the used module was started: it runs, and the one that uses it was not started.
        if (
          !(err instanceof InterruptedError) ||
          !signal?.aborted ||
          err.hint === new InterruptedError().hint
        )
          throw err;
        throw new InterruptedError(
          `${err.message}; ${reg.name}, which uses it, was not started`,
          `${err.hint} ${reg.name} was not started: \`blueprint service start ${reg.name}\` starts it.`,
        );
      },
    );
    results.push(started);
  }
  return results;
}

/** The watcher's restart after a crash (restarts.ts decides when): no health wait, no new count. */
export async function restartCrashed(deps: ServiceDeps, reg: LoadedRegistration): Promise<void> {
  await ensureContainer(deps, reg);
  await startContainer(deps, reg);
}

/**
 * Starts the container. A module with outbound network gets its rules first (issue 19): the
 * container is initialised, its namespace receives the hosts the admin approved, then it starts,
 * so nothing of the module runs before the rules do. A running one keeps the rules it started with.
 */
async function startContainer(deps: ServiceDeps, reg: LoadedRegistration): Promise<void> {
  const c = containerName(reg.name);
  if (
    reg.spec.network === 'outbound' &&
    !(await inspectContainer(deps.engine, reg.name, deps.root))?.State.Running
  ) {
    const approved = reg.approvals.outbound ?? [];
    // Loaded for these modules only: it brings node:dns and the namespace tools.
    const { initWithOutbound } = await import('./outbound.js');
    await initWithOutbound(
      deps.engine,
      c,
      reg.spec.outbound.filter((h) => approved.includes(h)),
    );
  }
  await deps.engine.libpod('POST', `/containers/${c}/start`, { ok: [304] });
}
