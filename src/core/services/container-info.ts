import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Engine } from './engine.js';
import { isModuleName, notAModuleName } from './module-name.js';

/**
 * A container's state as the engine reports it, and the one call that asks for it. Apart from
 * lifecycle.ts so that `service start` can send its first engine request before the modules that
 * plan and create the container are loaded: Podman answers while they compile (issue 20).
 */

/**
 * The engine's name for a module's container. It becomes part of the engine's URL paths
 * (`/containers/NAME/json`), so a name that is not a module's (`x/../../images`) is refused here too.
 */
export const containerName = (name: string) => {
  if (!isModuleName(name)) throw notAModuleName(name);
  return `blueprint-${name}`;
};

export interface ContainerInfo {
  Id: string;
  State: {
    Status: string;
    Running: boolean;
    Pid: number;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    OOMKilled: boolean;
    /** Set by inspectContainer: the engine said running, the process is gone (processGone). */
    Gone?: true;
  };
  RestartCount: number;
  Config: { Labels: Record<string, string> };
  /** The profile the engine asked the runtime for (the kernel's answer is /proc/PID/attr/current). */
  AppArmorProfile?: string;
  HostConfig?: {
    /** The memory limit the engine gave it at its create, in bytes (0: none). */
    Memory?: number;
    IDMappings?: { GidMap?: string[] };
    /** PathOnHost is whichever node Podman finds first with the same major:minor; blueprint
     * passes nodes at their host path, so PathInContainer is the one that was given. */
    Devices?: { PathInContainer: string }[];
    NetworkMode?: string;
    PidMode?: string;
    Privileged?: boolean;
    PortBindings?: Record<string, unknown[] | null> | null;
    /** Path: the log file it was made with, ROOT/var/log/blueprint/services/NAME.log (otherBox). */
    LogConfig?: { Path?: string };
  };
  Mounts?: { Type?: string; Source: string; Destination: string; RW: boolean }[] | null;
}

/**
 * The memory limit a running container has: what the engine gave it at its start. Its plan now can
 * differ (a model installed since, which it serves from its next restart; settings or overrides
 * changed without a restart), and the container can take only what it was given. Undefined when
 * the engine says none (a container made by hand): then the plan's figure is counted.
 */
export function runningLimit(info: ContainerInfo): number | undefined {
  const bytes = info.HostConfig?.Memory;
  return typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/**
 * The engine's state says "running" but its process is not there: its conmon was killed before
 * it (an OOM kill of both, a crashed helper), so the engine never heard of the exit, and it keeps
 * the old host pid, which the kernel may have given to another process since. The pid's cgroup
 * names the container (libpod-ID, libpod-ID.scope) while it is the container's. A pid the engine
 * did not give, or a /proc that cannot be read for another reason, is not judged gone.
 */
export function processGone(info: ContainerInfo): boolean {
  const pid = info.State.Pid;
  if (!info.State.Running || !(pid > 0)) return false;
  try {
    return !readFileSync(`/proc/${pid}/cgroup`, 'latin1').includes(info.Id);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH';
  }
}

/**
 * The box whose container this is, when it is not the box at `root`: the root another box made it
 * for, which still has the module registered. Container names are engine-wide, and a root copied
 * (`cp -a`) or made beside another shares the one engine: `blueprint-NAME` may be another box's.
 * Each container's log file is under the root it was made for (policy.ts), so that names its box;
 * no identity file under the root is needed, which a copy would carry along. The same folder by
 * another name (a link) is this box. A box that is gone (moved, deleted) or that no longer has the
 * module leaves a container no one uses: this box's to replace. A container with no such log path
 * (made by hand) is not judged.
 */
export function otherBox(info: ContainerInfo, root: string, name: string): string | undefined {
  const theirs = info.HostConfig?.LogConfig?.Path;
  const tail = `/var/log/blueprint/services/${name}.log`;
  if (!theirs?.endsWith(tail)) return undefined;
  const theirRoot = theirs.slice(0, -tail.length) || '/';
  const ours = resolve(root);
  if (theirRoot === ours) return undefined;
  const id = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    return st && `${st.dev}:${st.ino}`;
  };
  const them = id(theirRoot);
  if (!them || them === id(ours)) return undefined;
  return id(`${theirRoot}/var/lib/blueprint/services/${name}`) ? theirRoot : undefined;
}

/** The refusal to act on another box's container (otherBox), with what to do. */
export function otherBoxError(name: string, box: string): ConflictError {
  return new ConflictError(
    `The container ${containerName(name)} belongs to the box at ${box}, not this one (the engine's container names are shared)`,
    'other-box',
    `Manage it from that box (blueprint --root ${box} service ...). If that box does not need ${name}, remove it there (blueprint --root ${box} pkg remove ${name}); then this box can start its own.`,
  );
}

/** For `.catch` where state is only shown: another box's container is none of this box's. */
export function ownOrNone(err: unknown): undefined {
  if (err instanceof ConflictError && err.code === 'other-box') return undefined;
  throw err;
}

/**
 * The module's container, or undefined when there is none. One whose process is gone behind the
 * engine (processGone) is reported as exited and `Gone`: when it went is unknown, so its start
 * time stands for the exit (one identity, for the watcher to count it once), with no exit code
 * (-1). Start, restart and the watcher make such a container afresh (the engine refuses to start
 * or stop it: "container state improper"). One another box made (otherBox) is refused
 * (ConflictError 'other-box'): every command that acts on a module's container asks here first.
 */
export async function inspectContainer(
  engine: Engine,
  name: string,
  /** The box asking: another box's container is refused, never reported as this box's. */
  root: string,
): Promise<ContainerInfo | undefined> {
  let info: ContainerInfo | undefined;
  try {
    info =
      (await engine.libpod<ContainerInfo>('GET', `/containers/${containerName(name)}/json`)) ?? undefined;
  } catch (err) {
    // Podman 4.3 answers 500 "does not exist in database: no such container" while the
    // container is being removed (by the watcher, a restart): gone, as a 404 says.
    if (err instanceof NotFoundError || /no such container/.test((err as Error).message)) return undefined;
    throw err;
  }
  const box = info && otherBox(info, root, name);
  if (box) throw otherBoxError(name, box);
  if (!info || !processGone(info)) return info;
  const gone = {
    Running: false,
    Status: 'exited',
    ExitCode: -1,
    FinishedAt: info.State.StartedAt,
    Gone: true,
  } as const;
  return { ...info, State: { ...info.State, ...gone } };
}
