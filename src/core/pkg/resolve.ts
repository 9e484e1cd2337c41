import { compare, rcompare, satisfies, validRange } from 'semver';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { closestName } from '../system/edit-distance.js';
import type { InstalledPackage } from './db.js';
import { type IndexEntry, parseDependency } from './format.js';

export interface Candidate {
  entry: IndexEntry;
  repo: string;
  /** A package file: the path as typed, so a hint's command works from where it was typed. */
  typed?: string;
}

export interface Request {
  name: string;
  version?: string;
}

/**
 * Parses `name` or `name@1.2.3`. `name@` (an empty version: a slip, or `name@$VERSION` with the
 * variable unset) is refused rather than taken as any version.
 */
export function parseRequest(spec: string): Request {
  const at = spec.lastIndexOf('@');
  if (at > 0 && at === spec.length - 1) {
    const name = spec.slice(0, at);
    throw new UsageError(
      `${spec} names no version`,
      `Give one (\`bpkg install ${name}@VERSION\`; \`bpkg info ${name}\` lists them), or none for the newest (\`bpkg install ${name}\`).`,
    );
  }
  if (at <= 0) return { name: spec };
  const name = spec.slice(0, at);
  const version = spec.slice(at + 1);
  // Not a range (`hello@>>1`, `hello@latest`): bad usage, not "no version satisfies" (exit 5).
  if (validRange(version) === null)
    throw new UsageError(
      `${version} is not a version or version range`,
      `Give a version (\`bpkg install ${name}@1.2.3\`) or a range (${name}@1.2, '${name}@>=1.2.0 <2'); \`bpkg info ${name}\` lists the versions.`,
    );
  return { name, version };
}

export function rangeOf(dep: string): { name: string; range: string } {
  const { name, range } = parseDependency(dep);
  return { name, range };
}

export const archMatches = (arch: string, host: string) => arch === 'all' || arch === host;

/**
 * Where each package may come from: its origin (the repository it was installed from), or the
 * repository named by `install --from`. A pinned package is never taken from another repository.
 */
export type Pins = Record<string, string>;

/**
 * The repository an installed package upgrades from. Records written before origins were kept
 * have none: then it is the repository that offers exactly the installed version, preferring one
 * bound to the key that signed it; when that is not one repository, it is unknown (undefined).
 */
export function originOf(
  p: InstalledPackage,
  offers: Candidate[],
  keysOf: (repo: string) => string[],
): string | undefined {
  if (p.origin) return p.origin;
  const exact = [
    ...new Set(
      offers
        .filter((c) => c.entry.name === p.name && c.entry.version === p.version && c.entry.arch === p.arch)
        .map((c) => c.repo),
    ),
  ];
  const signed = exact.filter((r) => keysOf(r).includes(p.signer?.toLowerCase()));
  if (signed.length === 1) return signed[0];
  return exact.length === 1 ? exact[0] : undefined;
}

/**
 * Picks the packages to install for the requests plus their dependencies: the newest version in
 * the verified indexes that satisfies every constraint met so far. Installed packages that already
 * satisfy a dependency are kept. A pinned package (`pins`) comes only from its repository; a new
 * dependency comes from the repository of the package that needs it when that one offers a
 * fitting version, else from any. Pure: takes the candidates and the installed set, returns a plan.
 */
export function resolve(
  requests: Request[],
  available: Candidate[],
  installed: Record<string, InstalledPackage>,
  hostArch: string,
  preset: Candidate[] = [],
  pins: Pins = {},
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
    const pin = pins[name];
    const fitting = available
      .filter((c) => c.entry.name === name && archMatches(c.entry.arch, hostArch) && fits(c.entry.version))
      .sort((a, b) => rcompare(a.entry.version, b.entry.version));
    const options = pin === undefined ? fitting : fitting.filter((c) => c.repo === pin);
    const needer = by === undefined ? undefined : chosen.get(by)?.repo;
    const best = options.find((c) => c.repo === needer) ?? options[0];
    if (!best && pin !== undefined && fitting.length) {
      const elsewhere = [...new Set(fitting.map((c) => c.repo))];
      throw new ConflictError(
        `${name} comes from ${pin === '' ? 'an unknown repository' : pin === 'file' ? 'a local file' : `repository ${pin}`}, which offers no version satisfying ${ranges.join(', ')}${by ? ` (needed by ${by})` : ''}; ${elsewhere.join(', ')} ${elsewhere.length > 1 ? 'offer' : 'offers'} ${fitting.map((c) => `${c.entry.version} (${c.repo})`).join(', ')}`,
        'origin-pinned',
        `A package is only upgraded from the repository it came from. To take it from another on purpose: \`bpkg install ${name} --from ${elsewhere[0]}\``,
      );
    }
    if (!best) {
      const named = available.filter((c) => c.entry.name === name);
      const pinned = pin === undefined ? named : named.filter((c) => c.repo === pin);
      // Its origin offers none (a package file has no index) while others do: none fits either
      // (else origin-pinned above), so what they have is the answer, as on any box.
      const any = pinned.length ? pinned : named;
      const local = preset.find((c) => c.entry.name === by);
      const besideTyped = (l: Candidate) => {
        const typed = l.typed ?? `./${l.entry.path}`;
        const dir = typed.includes('/') ? typed.slice(0, typed.lastIndexOf('/') + 1) : './';
        return [typed, `${dir}${name}_VERSION_ARCH.bpkg`].map(shellWord).join(' ');
      };
      if (any.length === 0)
        throw new NotFoundError(
          `No package ${name}${by ? ` (needed by ${by})` : ''} in the verified ${pin === undefined ? 'indexes' : `index of ${pin}`}`,
          local
            ? `Pass the dependency's package file too: \`bpkg install ${besideTyped(local)}\` (or add a repository that has it and run \`bpkg update\`).`
            : (near(name, by, available) ?? 'Run `bpkg update`, or check the name with `bpkg search`.'),
        );
      // Published, but not for this CPU: say so, not "no version satisfies" (issue 22).
      const arches = [...new Set(any.map((c) => c.entry.arch))].sort();
      if (!any.some((c) => archMatches(c.entry.arch, hostArch)))
        throw new ConflictError(
          `${name}${by ? ` (needed by ${by})` : ''} is built only for ${arches.join(', ')}; this machine is ${hostArch}`,
          'wrong-arch',
          `Ask the publisher for a ${hostArch} build of ${name}, or install it on a ${arches[0]} machine.`,
        );
      const versions = [...new Set(any.map((c) => c.entry.version))].sort(compare);
      // The version asked for is not published at all (`bpkg install hello@9.9.9`): not found, not a conflict.
      if (!by && !any.some((c) => satisfies(c.entry.version, range, { includePrerelease: true })))
        throw new NotFoundError(
          `No version of ${name} matches ${range}; available: ${versions.join(', ')}`,
          `Install one of those (\`bpkg install ${name}@${versions.at(-1)}\`), or see \`bpkg info ${name}\`.`,
          'version-not-found',
        );
      throw new ConflictError(
        `No version of ${name} satisfies ${ranges.join(', ')}${by ? ` (needed by ${by})` : ''}; available: ${versions.join(', ')}`,
        'dependency-conflict',
        'Choose another version, or ask the publisher for a compatible one.',
      );
    }
    chosen.set(name, best);
    for (const d of best.entry.depends) queue.push({ ...rangeOf(d), by: name });
  }
  return dependenciesFirst([...chosen.values()]);
}

/** Orders a plan so that each package comes after what it depends on (installed, and shown, first). */
export function dependenciesFirst(plan: Candidate[]): Candidate[] {
  const byName = new Map(plan.map((c) => [c.entry.name, c]));
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const visit = (c: Candidate) => {
    if (seen.has(c.entry.name)) return;
    seen.add(c.entry.name);
    for (const d of c.entry.depends) {
      const dep = byName.get(rangeOf(d).name);
      if (dep) visit(dep);
    }
    out.push(c);
  };
  for (const c of plan) visit(c);
  return out;
}

/**
 * Packages installed only as dependencies (`auto`) that nothing staying needs any more, once
 * `leaving` is gone: apt's autoremove set, sorted. A chain goes with its head (app -> lib -> base:
 * removing app leaves lib unneeded, and with lib gone, base).
 */
export function unneededPackages(
  installed: Record<string, InstalledPackage>,
  leaving: ReadonlySet<string> = new Set(),
): string[] {
  const gone = new Set(leaving);
  for (let more = true; more; ) {
    more = false;
    for (const p of Object.values(installed))
      if (p.auto && !gone.has(p.name) && dependentsOf(p.name, installed, gone).length === 0) {
        gone.add(p.name);
        more = true;
      }
  }
  return [...gone].filter((n) => !leaving.has(n) && installed[n]).sort();
}

/** Installed packages that depend on `name` and would break without it. */
export function dependentsOf(
  name: string,
  installed: Record<string, InstalledPackage>,
  leaving: ReadonlySet<string>,
): string[] {
  return Object.values(installed)
    .filter((p) => !leaving.has(p.name) && p.depends.some((d) => rangeOf(d).name === name))
    .map((p) => p.name);
}

/** What the admin typed (not a dependency a publisher named) may be near a name the indexes have. */
const near = (name: string, by: string | undefined, available: { entry: { name: string } }[]) =>
  by === undefined
    ? nameHint(
        name,
        available.map((c) => c.entry.name),
      )
    : undefined;

/**
 * For a name the indexes lack: apt's NAME=VERSION said the way bpkg takes it, or the one name that
 * is the same but for case or a letter or two (`hello-dat`, `Hello-Data`, `embedings`).
 */
export function nameHint(name: string, names: string[], command = 'install'): string | undefined {
  const eq = name.indexOf('=');
  if (eq > 0 && names.includes(name.slice(0, eq)))
    return command === 'install'
      ? `A version is named with @: \`bpkg install ${name.slice(0, eq)}@${name.slice(eq + 1)}\``
      : `Did you mean ${name.slice(0, eq)}? \`bpkg ${command} ${name.slice(0, eq)}\``;
  const best = closestName(name, new Set(names));
  return best && `Did you mean ${best}? \`bpkg ${command} ${best}\``;
}

/** A path as a shell word: as it is when it has nothing the shell reads, else in single quotes. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
