import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BlueprintError, ConflictError, InterruptedError } from '../errors.js';
import type { GpuAccessPlan, PlanGpuAccess } from '../gpu/types.js';
import { layout } from '../system/paths.js';
import { type AppArmorPlan, apparmorProfile, loadProfile, planAppArmor } from './apparmor.js';
import {
  type ContainerInfo,
  containerName,
  inspectContainer,
  otherBox,
  ownOrNone,
} from './container-info.js';
import { claimModuleData } from './data-owner.js';
import { deviceGid, labelGid, revokeDeviceAccess, shareDevices } from './device-access.js';
import type { Engine } from './engine.js';
import { ensureDirSync } from './fs-cb.js';
import { sleep, waitHealthy } from './health.js';
import { judgeImageAtStart } from './image-annotations.js';
import { allInOrder } from './in-order.js';
import { checkPackageMounts, type PlannedPackageMount, planPackageMounts } from './package-mounts.js';
import {
  type ContainerPlan,
  NO_GPU,
  SPEC_LABEL,
  sandboxPolicy,
  serviceDirs,
  USES_DIRS_LABEL,
  USES_GID_LABEL,
} from './policy.js';
import { getRegistration, type LoadedRegistration } from './registry.js';
import { holdRestarts, startRestartRecord } from './restarts.js';
import seccompProfile from './seccomp.json' with { type: 'json' };
import {
  planUses,
  shareWiring,
  socketDirsFromLabel,
  type UsedModule,
  unshareWiring,
  usersOf,
  usesOf,
  writeTokenCopies,
} from './wiring.js';

export { type ContainerInfo, inspectContainer, ownOrNone } from './container-info.js';
export { checkHealth, healthPollDelay, httpOverSocket } from './health.js';

export interface ServiceDeps {
  engine: Engine;
  root: string;
  /** The GPU module's planner; without one, services get no GPU. */
  planGpu?: PlanGpuAccess;
}

/** The sandbox for an installed module, exactly as `start` would create it. */
export async function planFor(deps: ServiceDeps, reg: LoadedRegistration): Promise<ContainerPlan> {
  // Four independent reads, asked together; their errors are still met in this order.
  const [gpu, apparmor, uses, packages] = await allInOrder([
    reg.spec.gpu === 'none' || !deps.planGpu ? NO_GPU : deps.planGpu(deps.root, reg.spec.gpu),
    planAppArmor(reg.name),
    planUses(deps.root, reg),
    planPackageMounts(deps.root, reg),
  ] as const);
  if (reg.spec.gpu === 'required' && !gpu.use)
    throw new BlueprintError(`${reg.name} requires a GPU: ${gpu.reason}`, 'gpu-required');
  return planWith(deps.root, reg, gpu, apparmor, uses, packages);
}

/** The sandbox with a given GPU plan and AppArmor plan (no I/O). */
export function planWith(
  root: string,
  reg: LoadedRegistration,
  gpu: GpuAccessPlan,
  apparmor: AppArmorPlan,
  uses: UsedModule[] = [],
  packages: PlannedPackageMount[] = [],
): ContainerPlan {
  return sandboxPolicy({
    root,
    name: reg.name,
    version: reg.version,
    prefix: reg.prefix,
    service: reg.spec,
    approvals: reg.approvals,
    gpu,
    seccompProfile: seccompPath(root),
    apparmor,
    uses,
    packages,
  });
}

/** Writes and loads the service's own AppArmor profile, when the plan has one (apparmor.ts). */
async function applyAppArmor(root: string, reg: LoadedRegistration, plan: ContainerPlan): Promise<void> {
  if (plan.summary.apparmor.mode !== 'own-profile') return;
  const text = apparmorProfile({
    name: reg.name,
    network: reg.spec.network,
    writable: plan.summary.mounts.filter((m) => m.mode === 'rw').map((m) => m.target),
    devices: ((plan.spec.devices ?? []) as { path: string }[]).map((d) => d.path),
    sockets: plan.uses.map((u) => u.socket),
  });
  await loadProfile(root, reg.name, text);
}

const seccompPath = (root: string) => path.join(layout(root).stateDir, 'services', 'seccomp.json');

/**
 * The engine reads the profile from a host path; blueprint carries it inside and writes it out.
 * Synchronous, as the folders beside it: a few small local files, where each trip through the
 * thread pool is a wake-up that waits for a core on a busy box (issue 20).
 */
function writeSeccomp(root: string): void {
  const file = seccompPath(root);
  const text = JSON.stringify(seccompProfile);
  let had = '';
  try {
    had = readFileSync(file, 'utf8');
  } catch {}
  if (had === text) return;
  ensureDirSync(path.dirname(file));
  writeFileSync(file, text, { mode: 0o644 });
}

/**
 * Removes a container and the device ACL entries made for it (`info`: its inspect, when the caller
 * has it). Remove answers 500 "device or resource busy" now and then although the container is
 * gone: retry; 404 is done.
 */
export async function removeContainer(
  engine: Engine,
  idOrName: string,
  known?: ContainerInfo,
): Promise<void> {
  const info =
    known ??
    (await engine.libpod<ContainerInfo>('GET', `/containers/${idOrName}/json`).catch(() => undefined));
  const gid = info && deviceGid(info);
  if (info && gid !== undefined)
    await revokeDeviceAccess(
      (info.HostConfig?.Devices ?? []).map((d) => d.PathInContainer),
      gid,
    );
  const usesGid = info && labelGid(info, USES_GID_LABEL);
  if (info && usesGid !== undefined)
    await unshareWiring(socketDirsFromLabel(info.Config.Labels[USES_DIRS_LABEL]), usesGid);
  for (let attempt = 0; ; attempt++) {
    try {
      await engine.libpod('DELETE', `/containers/${idOrName}`, {
        query: { force: true, v: true },
        ok: [404],
      });
      return;
    } catch (err) {
      if (attempt >= 5 || !/busy/i.test((err as Error).message)) throw err;
      await sleep(200 * (attempt + 1));
    }
  }
}

/**
 * Creates the container unless one built from the same spec exists (the spec hash is a label).
 * `known`: the container's inspect, when the caller has just asked for it (one engine call less).
 * `alongside`: a write that must be done before the container starts; it runs once the create
 * request has gone to the engine (or at once when none is needed), so it is off the way to create.
 */
async function ensureContainer(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  known?: ContainerInfo | null,
  planned?: ContainerPlan,
  alongside: () => Promise<void> = async () => {},
): Promise<ContainerPlan> {
  const plan = planned ?? (await planFor(deps, reg));
  checkPackageMounts(reg.name, plan.packages);
  // Before the engine copies its annotations onto a container: an image an older box loaded was
  // never judged (a stat for one that was: image-annotations.ts).
  await judgeImageAtStart(deps.engine, deps.root, reg.name, reg.imageId);
  // At every start, not only at create: a container made for the data's owner is reused when a
  // package of the same spec comes from elsewhere (data-owner.ts).
  if (reg.spec.data) claimModuleData(deps.root, reg.name);
  // A provider that takes a token per consumer: its file lists the modules that use it now.
  if (reg.spec.socket?.clientTokens && reg.spec.data)
    await (await import('./client-tokens.js')).writeClientTokens(deps.root, reg.name);
  // Before create and at every start: the kernel forgets loaded profiles at reboot.
  await applyAppArmor(deps.root, reg, plan);
  const want = (plan.spec.labels as Record<string, string>)[SPEC_LABEL];
  let container =
    known === undefined ? await inspectContainer(deps.engine, reg.name, deps.root) : (known ?? undefined);
  // A container whose process went behind the engine cannot be started again: made afresh.
  if (container?.Config.Labels[SPEC_LABEL] !== want || container?.State.Gone) {
    if (container) await removeContainer(deps.engine, container.Id, container);
    // Bind sources must exist at create; a provider not started yet has no socket folder.
    for (const dir of [...plan.hostDirs, ...plan.uses.map((u) => u.socketDir)]) ensureDirSync(dir, 0o750);
    ensureDirSync(path.dirname(serviceDirs(deps.root, reg.name).logFile), 0o750);
    writeSeccomp(deps.root);
    await writeTokenCopies(deps.root, reg.name, plan.uses);
    let sent: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const created = deps.engine
      .libpod('POST', '/containers/create', { body: plan.spec, sent })
      .catch(async (err: unknown) => {
        // An image judged before and removed since (`podman rmi`): said as such, with the fix.
        const m = await import('./image-missing.js');
        if (await m.imagePresent(deps.engine, reg.imageId).catch(() => true)) throw err;
        throw m.imageMissing(reg.name, reg.imageId);
      });
    // Once the request is out (or failed before): Podman creates while we write.
    const wrote = Promise.race([written, created.then(noop, noop)]).then(alongside);
    await allInOrder([created, wrote]);
    // The user namespace is chosen at create: only a new container's inspect has its GID map.
    if (plan.deviceNodes.length || plan.uses.length)
      container = await inspectContainer(deps.engine, reg.name, deps.root);
  } else await alongside();
  if (plan.uses.length) {
    const gid = container && labelGid(container, USES_GID_LABEL);
    if (gid === undefined)
      throw new BlueprintError(
        `${reg.name}: the engine did not report the user namespace of its container`,
        'uses-access',
        'Run `blueprint doctor`; the engine must run containers with `userns=auto`.',
      );
    await shareWiring(plan.uses, gid);
  }
  // At every start: /dev is made afresh at boot, and with it the nodes' ACLs.
  if (plan.deviceNodes.length) await shareDevices(reg.name, container, plan.deviceNodes);
  return plan;
}

const noop = () => {};

export interface StartResult {
  name: string;
  version: string;
  healthy: boolean | null;
  /** Milliseconds from the start request to the first healthy answer. */
  startToHealthyMs: number | null;
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
  await startUsed(deps, reg, opts.chain ?? [], opts.signal);
  // Starting what it uses took a while: look again then (the watcher may have acted meanwhile).
  const info = used ? await inspectContainer(deps.engine, name, deps.root) : await inspected;
  // An admin's start: a fresh count of crashes, and the exit it starts over is not one. Written
  // (with its fsync) while the engine creates the container, after the request has gone (its
  // node:fs/promises and file handles are not on the way to create); done before it starts. A
  // crash between create and this write leaves a created container that never ran beside the old
  // record: a start again reuses it (same spec label) and writes the record (test/services/start-path.test.ts).
  const record = () => startRestartRecord(deps.root, name, info);
  await ensureContainer(deps, reg, info ?? null, planned, record);
  const t0 = Date.now(); // not performance.now(): its global loads perf_hooks on the start path
  // 304: already running.
  const starting = startContainer(deps, reg);
  const result: StartResult = { name, version: reg.version, healthy: null, startToHealthyMs: null };
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
): Promise<void> {
  const here = [...chain, reg.name];
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
      continue;
    }
    await startService(deps, name, { chain: here, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
      // Ctrl-C once the used module was started: it runs, and the one that uses it was not started.
      if (!(err instanceof InterruptedError) || !signal?.aborted || err.hint === new InterruptedError().hint)
        throw err;
      throw new InterruptedError(
        `${err.message}; ${reg.name}, which uses it, was not started`,
        `${err.hint} ${reg.name} was not started: \`blueprint service start ${reg.name}\` starts it.`,
      );
    });
  }
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

/**
 * SIGTERM, then SIGKILL after the timeout (the manifest's stopTimeout unless given). A module that
 * running services use is not stopped unless `force`: the error names them.
 */
export async function stopService(
  deps: ServiceDeps,
  name: string,
  timeout?: number,
  opts: { force?: boolean } = {},
): Promise<boolean> {
  const reg = await getRegistration(deps.root, name);
  if (!opts.force) {
    const users = await usersOf(
      deps.root,
      name,
      async (u) =>
        (await inspectContainer(deps.engine, u, deps.root).catch(ownOrNone))?.State.Running === true,
    );
    if (users.length)
      throw new ConflictError(
        `${name} is in use by ${users.join(', ')}`,
        'in-use',
        `Stop ${users.join(', ')} first, or stop ${name} anyway with --force (they lose its API until it starts again).`,
      );
  }
  await holdRestarts(deps.root, name); // also one waiting for its next restart after a crash
  const info = await inspectContainer(deps.engine, name, deps.root);
  if (!info?.State.Running) return false;
  await deps.engine.libpod('POST', `/containers/${containerName(name)}/stop`, {
    query: { timeout: timeout ?? reg.spec.stopTimeout },
    ok: [304],
  });
  return true;
}

/**
 * Removes every container of the box at `root` carrying the module's label (also ones left by
 * older blueprint versions). The label is engine-wide: another box's (otherBox) is left alone.
 */
export async function removeModuleContainers(engine: Engine, name: string, root: string): Promise<number> {
  const list = await engine.libpod<{ Id: string }[]>('GET', '/containers/json', {
    query: { all: true, filters: JSON.stringify({ label: [`org.blueprintos.module=${name}`] }) },
  });
  let removed = 0;
  for (const c of list) {
    const info = await engine.libpod<ContainerInfo>('GET', `/containers/${c.Id}/json`).catch(() => undefined);
    if (info && otherBox(info, root, name)) continue;
    await removeContainer(engine, c.Id, info);
    removed++;
  }
  return removed;
}
