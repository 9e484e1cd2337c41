/**
 * Container Device Interface specs: the files (YAML or JSON) in /etc/cdi and /var/run/cdi that tell
 * Podman which device nodes, mounts and hooks `nvidia.com/gpu=all` stands for. Podman reads them on
 * the engine host; we read the same files under --root to say whether a GPU is usable before a
 * container is ever created.
 */
import { parse as parseYaml } from 'yaml';
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

type Edits = { deviceNodes?: { path?: unknown; hostPath?: unknown }[]; mounts?: { hostPath?: unknown }[] };

function nodesOf(edits: Edits | undefined): string[] {
  return (edits?.deviceNodes ?? [])
    .map((n) => (typeof n?.hostPath === 'string' ? n.hostPath : n?.path))
    .filter((p): p is string => typeof p === 'string');
}

function libraryVersionsOf(edits: Edits | undefined): string[] {
  return (edits?.mounts ?? [])
    .map((m) =>
      typeof m?.hostPath === 'string' ? m.hostPath.match(/\/libcuda\.so\.(\d+\.\d+(?:\.\d+)?)$/) : null,
    )
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => m[1]!);
}

/** Parses one spec file; never throws (a broken spec is reported, as the engine would skip it). */
export function parseCdiSpec(text: string, path: string): CdiSpec {
  const broken = (error: string): CdiSpec => ({
    path,
    devices: [],
    entries: [],
    commonNodes: [],
    libraryVersions: [],
    error,
  });
  let doc: unknown;
  try {
    // Warnings (an unresolved tag, an unknown directive) would go to process.emitWarning, which Node
    // prints to stderr raw with the spec's line: not printed (as setup's answers, 4e404cc).
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    return broken(`not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') return broken('empty spec');
  const spec = doc as { cdiVersion?: unknown; kind?: unknown; devices?: unknown; containerEdits?: Edits };
  if (typeof spec.cdiVersion !== 'string') return broken('no cdiVersion');
  if (typeof spec.kind !== 'string' || !/^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9._-]*$/i.test(spec.kind))
    return broken('kind must look like vendor.com/class');
  if (!Array.isArray(spec.devices) || spec.devices.length === 0)
    return { ...broken('no devices'), kind: spec.kind };
  const entries: CdiDevice[] = [];
  const versions = libraryVersionsOf(spec.containerEdits);
  for (const d of spec.devices as { name?: unknown; containerEdits?: Edits }[]) {
    if (typeof d?.name !== 'string' || d.name === '')
      return { ...broken('a device has no name'), kind: spec.kind };
    entries.push({ name: d.name, nodes: nodesOf(d.containerEdits) });
    versions.push(...libraryVersionsOf(d.containerEdits));
  }
  return {
    path,
    kind: spec.kind,
    devices: entries.map((e) => e.name),
    entries,
    commonNodes: nodesOf(spec.containerEdits),
    libraryVersions: [...new Set(versions)],
  };
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
