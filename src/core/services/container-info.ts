import { readFileSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
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
    IDMappings?: { GidMap?: string[] };
    /** PathOnHost is whichever node Podman finds first with the same major:minor; blueprint
     * passes nodes at their host path, so PathInContainer is the one that was given. */
    Devices?: { PathInContainer: string }[];
    NetworkMode?: string;
    PidMode?: string;
    Privileged?: boolean;
    PortBindings?: Record<string, unknown[] | null> | null;
  };
  Mounts?: { Type?: string; Source: string; Destination: string; RW: boolean }[] | null;
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
 * The module's container, or undefined when there is none. One whose process is gone behind the
 * engine (processGone) is reported as exited and `Gone`: when it went is unknown, so its start
 * time stands for the exit (one identity, for the watcher to count it once), with no exit code
 * (-1). Start, restart and the watcher make such a container afresh (the engine refuses to start
 * or stop it: "container state improper").
 */
export async function inspectContainer(engine: Engine, name: string): Promise<ContainerInfo | undefined> {
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
