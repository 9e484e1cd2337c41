import { compare, rcompare, satisfies } from 'semver';
import { ConflictError, NotFoundError } from '../errors.js';
import type { InstalledPackage } from './db.js';
import { type IndexEntry, parseDependency } from './format.js';

export interface Candidate {
  entry: IndexEntry;
  repo: string;
}

export interface Request {
  name: string;
  version?: string;
}

/** Parses `name` or `name@1.2.3`. */
export function parseRequest(spec: string): Request {
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) } : { name: spec };
}

export function rangeOf(dep: string): { name: string; range: string } {
  const d = parseDependency(dep);
  return { name: d.name, range: d.op ? `${d.op === '=' ? '' : d.op}${d.version}` : '*' };
}

export const archMatches = (arch: string, host: string) => arch === 'all' || arch === host;

/**
 * Picks the packages to install for the requests plus their dependencies: the newest version in
 * the verified indexes that satisfies every constraint met so far. Installed packages that already
 * satisfy a dependency are kept. Pure: takes the candidates and the installed set, returns a plan.
 */
export function resolve(
  requests: Request[],
  available: Candidate[],
  installed: Record<string, InstalledPackage>,
  hostArch: string,
  preset: Candidate[] = [],
): Candidate[] {
  const chosen = new Map<string, Candidate>(preset.map((c) => [c.entry.name, c]));
  const constraints = new Map<string, string[]>();
  const queue: Array<{ name: string; range: string; by?: string }> = requests.map((r) => ({
    name: r.name,
    range: r.version ?? '*',
  }));
  for (const c of preset) for (const d of c.entry.depends) queue.push({ ...rangeOf(d), by: c.entry.name });

  while (queue.length) {
    const { name, range, by } = queue.shift()!;
    const ranges = [...(constraints.get(name) ?? []), range];
    constraints.set(name, ranges);
    const fits = (v: string) => ranges.every((r) => satisfies(v, r, { includePrerelease: true }));
    const picked = chosen.get(name);
    if (picked && fits(picked.entry.version)) continue;
    if (picked && preset.includes(picked))
      throw new ConflictError(
        `${name} ${picked.entry.version} does not satisfy ${ranges.join(', ')}`,
        'dependency-conflict',
        'Install a matching version.',
      );
    const have = installed[name];
    if (!picked && by && have && fits(have.version)) continue;
    const options = available
      .filter((c) => c.entry.name === name && archMatches(c.entry.arch, hostArch) && fits(c.entry.version))
      .sort((a, b) => rcompare(a.entry.version, b.entry.version));
    const best = options[0];
    if (!best) {
      const any = available.filter((c) => c.entry.name === name);
      if (any.length === 0)
        throw new NotFoundError(
          `No package ${name}${by ? ` (needed by ${by})` : ''} in the verified indexes`,
          'Run `bpkg update`, or check the name with `bpkg search`.',
        );
      throw new ConflictError(
        `No version of ${name} satisfies ${ranges.join(', ')}${by ? ` (needed by ${by})` : ''}; available: ${any
          .map((c) => c.entry.version)
          .sort(compare)
          .join(', ')}`,
        'dependency-conflict',
        'Choose another version, or ask the publisher for a compatible one.',
      );
    }
    chosen.set(name, best);
    for (const d of best.entry.depends) queue.push({ ...rangeOf(d), by: name });
  }
  return [...chosen.values()];
}

/** Installed packages that depend on `name` and would break without it. */
export function dependentsOf(
  name: string,
  installed: Record<string, InstalledPackage>,
  leaving: Set<string>,
): string[] {
  return Object.values(installed)
    .filter((p) => !leaving.has(p.name) && p.depends.some((d) => rangeOf(d).name === name))
    .map((p) => p.name);
}
