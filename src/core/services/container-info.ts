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

/** The module's container, or undefined when there is none. */
export async function inspectContainer(engine: Engine, name: string): Promise<ContainerInfo | undefined> {
  try {
    return (
      (await engine.libpod<ContainerInfo>('GET', `/containers/${containerName(name)}/json`)) ?? undefined
    );
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
