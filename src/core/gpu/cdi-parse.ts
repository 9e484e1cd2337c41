/**
 * Parsing a CDI spec file (cdi.ts has the types and the lookups). Apart so that the YAML parser is
 * loaded only when a spec file is there to read: most boxes have none, and the console's first paint
 * reads the GPUs (yaml's start was ~10-15 ms of its CPU).
 */
import { parse as parseYaml } from 'yaml';
import type { CdiDevice, CdiSpec } from './cdi.js';

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
