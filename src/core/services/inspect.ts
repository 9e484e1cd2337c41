import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlueprintError } from '../errors.js';
import { oneLine } from '../system/one-line.js';
import { type AppArmorPlan, apparmorSupport, processLabel, profileName } from './apparmor.js';
import { cgroupLimits, cgroupUsage } from './cgroup.js';
import type { Engine } from './engine.js';
import { imagePresent } from './image-missing.js';
import { type ContainerInfo, inspectContainer, ownOrNone, planWith, type ServiceDeps } from './lifecycle.js';
import { judgeMemoryLimit, type LimitChangedOutside } from './memory-limit-judge.js';
import { type ModuleInfo, readModuleInfo } from './module-info.js';
import {
  type ContainerPlan,
  containerName,
  NO_GPU,
  type PolicySummary,
  serviceDirs,
  VERSION_LABEL,
} from './policy.js';
import { containerFacts, factsFromService, type Rating, rateService } from './rating.js';
import { getRegistration, type LoadedRegistration, registrationAt } from './registry.js';
import { planLooking } from './sandbox-plan.js';
import { type SettingRow, type StaleSetting, settingsView } from './settings.js';
import { signerOf } from './signer.js';
import type { RunningLimits } from './status.js';
import { TOKENS_DIR, tokenCopy, USES_DIR, usersOf, usesOf } from './wiring.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The probe is the module's: the manifest names the command and the module's files decide what it
 * does. `service inspect` and the dashboard's page of a service (in the long-running root process,
 * at every view) wait for it, so it gets a time and a size bound, like every other answer a module
 * gives (module-info.ts, health.ts).
 */
export const PROBE_LIMITS = { timeoutMs: 10_000, maxBytes: 1024 * 1024 };

/**
 * Runs a command inside the running service, with the same sandbox as its main process; stdout and
 * stderr together at most `limits.maxBytes`, the whole run at most `limits.timeoutMs` (then the
 * stream is dropped: the engine has no call to end an exec, the container's pids limit bounds it).
 * The command's signal (the engine's own) ends each request and the wait on the output at once, its
 * connection closed: only given up, a request to an engine that does not answer held the process.
 */
export async function execInService(
  engine: Engine,
  name: string,
  cmd: string[],
  limits?: { timeoutMs: number; maxBytes: number },
): Promise<ExecResult> {
  return engine.call(`running ${cmd[0]} in ${name}`, async (signal) => {
    const docker = await engine.docker();
    const container = docker.getContainer(containerName(name));
    const abortable = signal ? { abortSignal: signal } : {};
    const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...abortable });
    const stream = await exec.start({ hijack: true, stdin: false, ...abortable });
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => fail(signal?.reason);
      const fail = (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        (stream as unknown as { destroy(): void }).destroy();
        reject(e);
      };
      const keep = (into: Buffer[]) => (c: Buffer) => {
        size += c.length;
        if (limits && size > limits.maxBytes)
          fail(
            new BlueprintError(
              `${cmd[0]} in ${name} printed more than ${limits.maxBytes} bytes`,
              'probe-too-large',
              `The module's probe should print one small JSON document; report it to the publisher of ${name}.`,
            ),
          );
        else into.push(c);
      };
      out.on('data', keep(chunks.stdout));
      err.on('data', keep(chunks.stderr));
      if (limits)
        timer = setTimeout(
          () =>
            fail(
              new BlueprintError(
                `${cmd[0]} in ${name} did not finish within ${limits.timeoutMs / 1000} s`,
                'probe-timeout',
                `The module's probe must end by itself; report it to the publisher of ${name}. \`blueprint service restart ${name}\` ends a probe left running.`,
              ),
            ),
          limits.timeoutMs,
        );
      docker.modem.demuxStream(stream, out, err);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', (e) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    // The stream can end a moment before the engine records the exit code.
    let info = await exec.inspect(abortable);
    for (let i = 0; info.Running && i < 50; i++) {
      await sleep(20);
      info = await exec.inspect(abortable);
    }
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: Buffer.concat(chunks.stdout).toString('utf8'),
      stderr: Buffer.concat(chunks.stderr).toString('utf8'),
    };
  });
}

export interface IdMapRange {
  inside: number;
  outside: number;
  count: number;
}

/** What the kernel enforces on a process: the same files the process reads as /proc/1/... inside. */
export interface ProcessView {
  pid: number;
  capEff: string;
  capBnd: string;
  /** The other sets: a capability permitted (or inheritable, ambient) is one the process can use. */
  capPrm: string;
  capInh: string;
  capAmb: string;
  noNewPrivs: number;
  /** 0 off, 1 strict, 2 filter. */
  seccomp: number;
  uidMap: IdMapRange[];
  gidMap: IdMapRange[];
  /**
   * The host's root, uid or gid 0, is one of the container's ids, at whatever id inside (the
   * identity map is one such): a process with that id inside is root, or root's group, on the host.
   */
  mapsHostRoot: boolean;
  rootReadOnly: boolean;
  interfaces: string[];
  cgroup: { memoryBytes?: number; pids?: number | 'max'; cpus?: number };
  /** The AppArmor label (`blueprint-NAME (enforce)`); null when the kernel has no AppArmor. */
  apparmor: string | null;
  /** In the PID / network namespace of the caller (the host's, for blueprint). */
  sharesHostPid: boolean;
  sharesHostNet: boolean;
}

export function parseStatus(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split(':\t'))
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k!, v!.trim()]),
  );
}

export function parseIdMap(text: string): IdMapRange[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [inside, outside, count] = l.trim().split(/\s+/).map(Number);
      return { inside: inside!, outside: outside!, count: count! };
    });
}

/** Whether a map's ranges hold the host's id 0 (the kernel's uid_map/gid_map: inside, outside, count). */
export function mapsHostZero(map: IdMapRange[]): boolean {
  return map.some((r) => r.outside <= 0 && 0 < r.outside + r.count);
}

/** Mount options of the last mount stacked on `/` in a mountinfo file. */
export function rootIsReadOnly(mountinfo: string): boolean {
  const roots = mountinfo.split('\n').filter((l) => l.split(' ')[4] === '/');
  const opts = roots.at(-1)?.split(' ')[5]?.split(',') ?? [];
  return opts.includes('ro');
}

export function parseNetDev(text: string): string[] {
  return text
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean);
}

const readText = (p: string) => readFile(p, 'utf8').catch(() => undefined);

export { cgroupUsage };

/** Whether a process is in the same namespace of a kind as this one (both links name the inode). */
async function sameNamespace(pid: number, kind: 'pid' | 'net'): Promise<boolean> {
  const [theirs, ours] = await Promise.all(
    [`/proc/${pid}/ns/${kind}`, `/proc/self/ns/${kind}`].map((p) => readlink(p).catch(() => undefined)),
  );
  return theirs !== undefined && theirs === ours;
}

export async function processView(pid: number): Promise<ProcessView> {
  const status = parseStatus((await readText(`/proc/${pid}/status`)) ?? '');
  const uidMap = parseIdMap((await readText(`/proc/${pid}/uid_map`)) ?? '');
  const gidMap = parseIdMap((await readText(`/proc/${pid}/gid_map`)) ?? '');
  return {
    pid,
    capEff: status.CapEff ?? '?',
    capBnd: status.CapBnd ?? '?',
    capPrm: status.CapPrm ?? '?',
    capInh: status.CapInh ?? '?',
    capAmb: status.CapAmb ?? '?',
    noNewPrivs: Number(status.NoNewPrivs ?? -1),
    seccomp: Number(status.Seccomp ?? -1),
    uidMap,
    gidMap,
    mapsHostRoot: mapsHostZero(uidMap) || mapsHostZero(gidMap),
    rootReadOnly: rootIsReadOnly((await readText(`/proc/${pid}/mountinfo`)) ?? ''),
    interfaces: parseNetDev((await readText(`/proc/${pid}/net/dev`)) ?? ''),
    cgroup: await cgroupLimits(pid),
    apparmor: await processLabel(pid),
    sharesHostPid: await sameNamespace(pid, 'pid'),
    sharesHostNet: await sameNamespace(pid, 'net'),
  };
}

/**
 * The security rating (rating.ts): from the manifest and the plan, and from the running
 * container's inspect data and the kernel's view of its pid 1 when it runs. `gpuKnown`: the plan
 * carries the GPU planner's answer (else the manifest's request counts). A container still running
 * the previous version after an upgrade is judged against that version's declarations (its mounts),
 * as it was before the upgrade: it is the same sandbox.
 */
export async function ratingOf(
  root: string,
  reg: LoadedRegistration,
  apparmor: AppArmorPlan,
  plan: ContainerPlan | undefined,
  gpuKnown: boolean,
  running?: { info: ContainerInfo; view: ProcessView; engineSocket?: string },
): Promise<Rating> {
  const ran = running?.info.Config.Labels[VERSION_LABEL];
  const previous = ran && ran !== reg.version ? await registrationAt(root, reg.name, ran) : undefined;
  let declared = plan;
  if (previous)
    try {
      declared = planWith(root, previous, NO_GPU, apparmor);
    } catch {
      declared = undefined;
    }
  const manifest = factsFromService((previous ?? reg).spec, {
    apparmor,
    // The signer of the version that runs (signer.ts), as its mounts are that version's.
    signer: await signerOf(root, reg.name, ran ?? reg.version),
    ...(declared
      ? { sources: Object.fromEntries(declared.summary.mounts.map((m) => [m.target, m.source])) }
      : {}),
    ...(plan && gpuKnown
      ? { devices: ((plan.spec.devices ?? []) as { path: string }[]).map((d) => d.path) }
      : {}),
    uses: usesOf(previous ?? reg).flatMap(({ name }) => [
      { module: name, source: serviceDirs(root, name).socketDir, target: path.posix.join(USES_DIR, name) },
      { module: name, source: tokenCopy(root, reg.name, name), target: path.posix.join(TOKENS_DIR, name) },
    ]),
  });
  if (!running) return rateService(manifest);
  const facts = containerFacts(running.info, running.view, await apparmorSupport(), profileName(reg.name));
  // The socket this box's engine answers on, wherever it was configured: mounted, it is the engine.
  if (running.engineSocket) facts.engineSockets = [running.engineSocket];
  return rateService(manifest, facts);
}

export interface ServiceInspection {
  name: string;
  version: string;
  state: string;
  policy: PolicySummary;
  /** The kernel's record of the container's pid 1 (what it actually has). */
  process?: ProcessView;
  /** The module's own probe, run inside the container (e.g. trying to write /). */
  probe?: Record<string, unknown>;
  /** The security rating, point by point; from the running container when it runs. */
  rating: Rating;
  /** Installed services whose manifest uses this one (its `policy.uses` is the other direction). */
  usedBy: string[];
  /**
   * What it does for the modules that use it (manifest `socket`): a token of each consumer's own
   * (`clientTokens`), and a consumer's data deleted when the admin purges that consumer
   * (`consumerPurge`: consumer-purge.ts). Absent for a module with no socket: nothing can use it.
   */
  consumers?: { ownTokens: boolean; purgeOnRequest: boolean };
  /** What the running module says about itself (GET /info; untrusted text): module-info.ts. */
  info?: ModuleInfo | null;
  /** The module's image; `present`: whether the engine holds it (false: gone, reinstall; null: unknown). */
  image: { id: string; present: boolean | null };
  /**
   * What `service start` would answer instead of starting it: a GPU the manifest requires and this
   * box cannot give (its error, with the fix as hint). The policy's `gpu` then says it is missing.
   */
  startRefused?: { code: string; message: string; hint?: string };
  /**
   * The settings its manifest declares (settings.ts): each one's value at the next start and, when
   * it runs, the value it runs with (`running`; the container's environment); `stale`: stored ones
   * not applied. Absent for a module that declares none and has none stored.
   */
  settings?: { rows: (SettingRow & { running?: string })[]; stale: StaleSetting[] };
  /**
   * Present while it runs with limits other than the plan's (`policy`), which its next start gives
   * it: the memory the kernel holds it to (its cgroup's, else the engine's), before a model installed
   * since or a setting changed without a restart. Memory admission counts this figure for it.
   */
  runningLimits?: RunningLimits;
  /** Running with a limit set on its container outside blueprint (memory-limit-judge.ts). */
  limitChangedOutside?: LimitChangedOutside;
}

export async function inspectService(deps: ServiceDeps, name: string): Promise<ServiceInspection> {
  const reg = await getRegistration(deps.root, name);
  // A GPU a start would refuse is said (startRefused), not thrown: inspect is a look.
  const { plan, gpuRefused } = await planLooking(deps, reg);
  const info = await inspectContainer(deps.engine, name, deps.root).catch(ownOrNone);
  const result: ServiceInspection = {
    name,
    version: reg.version,
    state: info?.State.Gone ? 'gone' : (info?.State.Status ?? 'not created'),
    policy: gpuRefused ? { ...plan.summary, gpu: `missing: ${gpuRefused.message}` } : plan.summary,
    // Refused, the manifest's request counts (as service status rates it).
    rating: await ratingOf(deps.root, reg, plan.summary.apparmor, plan, !gpuRefused),
    usedBy: await usersOf(deps.root, name),
    ...(reg.spec.socket
      ? {
          consumers: {
            ownTokens: reg.spec.socket.clientTokens === true,
            purgeOnRequest: reg.spec.socket.consumerPurge === true,
          },
        }
      : {}),
    image: {
      id: reg.imageId,
      present: info?.State.Running ? true : await imagePresent(deps.engine, reg.imageId).catch(() => null),
    },
    ...(gpuRefused ? { startRefused: gpuRefused.toJSON() } : {}),
  };
  const settings = settingsView(deps.root, reg);
  if (settings.settings.length || settings.stale.length) {
    // What it runs with: the container's environment (the engine's Config.Env), when it runs.
    const env = info?.State.Running ? ((info.Config as { Env?: string[] }).Env ?? []) : undefined;
    const running = (key: string) => env?.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);
    result.settings = {
      rows: settings.settings.map((r) => {
        const now = running(r.key);
        return now === undefined ? r : { ...r, running: now };
      }),
      stale: settings.stale,
    };
  }
  if (!info?.State.Running) return result;
  [result.process, result.info] = await Promise.all([
    processView(info.State.Pid),
    readModuleInfo(deps.root, reg),
  ]);
  Object.assign(result, judgeMemoryLimit(info, plan, result.process.cgroup.memoryBytes));
  result.rating = await ratingOf(deps.root, reg, plan.summary.apparmor, plan, !gpuRefused, {
    info,
    view: result.process,
    engineSocket: deps.engine.socket,
  });
  if (reg.spec.probe) {
    const r = await execInService(deps.engine, name, reg.spec.probe, PROBE_LIMITS);
    try {
      result.probe = JSON.parse(r.stdout);
    } catch {
      throw new BlueprintError(
        // The module's text, on one line: it cannot print lines of its own under `error:`.
        `The probe of ${name} printed no JSON (exit ${r.exitCode}): ${oneLine((r.stderr || r.stdout).slice(0, 500).trim())}`.trim(),
        'probe-failed',
      );
    }
  }
  return result;
}
