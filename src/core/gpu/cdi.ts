/**
 * Container Device Interface specs: the files (YAML or JSON) in /etc/cdi and /var/run/cdi that tell
 * Podman which device nodes, mounts and hooks `nvidia.com/gpu=all` stands for. Podman reads them on
 * the engine host; we read the same files under --root to say whether a GPU is usable before a
 * container is ever created.
 */
import type { CdiSpecSummary } from './types.js';

export const CDI_DIRS = ['/etc/cdi', '/var/run/cdi'];

export interface CdiDevice {
  name: string;
  /** Host paths of the device nodes this device adds (hostPath, or path when they are the same). */
  nodes: string[];
}

export interface CdiSpec extends CdiSpecSummary {
  /** Parsed devices; empty when the spec has an error. */
  entries: CdiDevice[];
  /** Device nodes every device of the spec adds (the spec-level containerEdits). */
  commonNodes: string[];
  /**
   * Driver versions the spec's mounts are pinned to (`libcuda.so.550.54.15`): nvidia-ctk writes the
   * versioned library paths of the driver it saw, so a spec from before a driver upgrade is stale.
   */
  libraryVersions: string[];
}

export interface CdiMatch {
  spec: CdiSpec;
  /** Qualified name of a device that adds `node`, preferring a per-GPU one over `all`. */
  device: string;
  /** Qualified name of the spec's `all` device, if it has one. */
  all?: string;
}

/**
 * Finds the usable spec of `kind` with a device for this GPU: one that adds its host device node,
 * or one named by its UUID (nvidia-ctk's `--device-name-strategy=uuid`).
 */
export function findCdiDevice(
  specs: CdiSpec[],
  kind: string,
  gpu: { node: string; uuid?: string },
): CdiMatch | undefined {
  for (const spec of specs) {
    if (spec.error || spec.kind !== kind) continue;
    const adding = spec.entries.filter(
      (e) => e.nodes.includes(gpu.node) || spec.commonNodes.includes(gpu.node) || e.name === gpu.uuid,
    );
    if (adding.length === 0) continue;
    const own = adding.find((e) => e.name !== 'all') ?? adding[0]!;
    const all = spec.entries.find((e) => e.name === 'all');
    return { spec, device: `${kind}=${own.name}`, all: all ? `${kind}=all` : undefined };
  }
  return undefined;
}
