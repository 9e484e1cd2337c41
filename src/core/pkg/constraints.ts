import { lt, rcompare, satisfies } from 'semver';
import { ConflictError, NotFoundError } from '../errors.js';
import { type Candidate, rangeOf } from './resolve.js';

/** What a constraint check needs of a package: installed, planned or kept for rollback. */
export interface Versioned {
  name: string;
  version: string;
  depends: string[];
}

/** One dependency of one package that the set does not satisfy. */
export interface BrokenConstraint {
  dependent: string;
  version: string;
  /** The dependency as written, e.g. `greetdata>=1.0.0,<2.0.0`. */
  dependency: string;
  name: string;
  /** The version of `name` in the set; absent when it is not there at all. */
  have?: string;
}

const fits = (version: string, range: string) => satisfies(version, range, { includePrerelease: true });

/** Every dependency in `set` that `set` itself does not satisfy: a box must never be left so. */
export function brokenConstraints(set: Record<string, Versioned>): BrokenConstraint[] {
  const out: BrokenConstraint[] = [];
  for (const p of Object.values(set))
    for (const dependency of p.depends) {
      const { name, range } = rangeOf(dependency);
      const have = set[name]?.version;
      if (have === undefined || !fits(have, range))
        out.push({ dependent: p.name, version: p.version, dependency, name, ...(have ? { have } : {}) });
    }
  return out;
}

export const constraintKey = (b: BrokenConstraint) => `${b.dependent} ${b.version} ${b.dependency} ${b.have}`;

/** The constraints broken in `after` that were not broken in `before` (a change must add none). */
export function newlyBroken(
  before: Record<string, Versioned>,
  after: Record<string, Versioned>,
): BrokenConstraint[] {
  const old = new Set(brokenConstraints(before).map(constraintKey));
  return brokenConstraints(after).filter((b) => !old.has(constraintKey(b)));
}

/** e.g. `greeter 1.0.0 needs greetdata=1.0.0 (greetdata 2.0.0 would be current)`. */
export function describeConstraint(b: BrokenConstraint, state = 'would be current'): string {
  return `${b.dependent} ${b.version} needs ${b.dependency} (${b.have === undefined ? `${b.name} would not be installed` : `${b.name} ${b.have} ${state}`})`;
}

export interface HeldBack {
  name: string;
  /** The newest version its origin offers. */
  newest: string;
  /** The version it is upgraded to instead (the installed one when it is not upgraded at all). */
  to: string;
  because: BrokenConstraint;
}

/** An upgrade held back, with the version installed (`PackageManager.upgradePlan`'s `held`). */
export type HeldUpgrade = HeldBack & { from: string };

/**
 * What `upgrade` warns of an upgrade held back, and `upgrade --dry-run` / `list --upgradable` list
 * (one wording for all three), e.g. `greetdata 2.0.0 held back (stays at 1.0.0): greeter 1.0.0
 * needs greetdata=1.0.0 (greetdata 2.0.0 would be current)`.
 */
export const heldBackLine = (h: HeldUpgrade): string =>
  `${h.name} ${h.newest} held back (${h.to === h.from ? `stays at ${h.from}` : `upgraded to ${h.to} only`}): ${describeConstraint(h.because)}`;

/**
 * Chooses the versions `upgrade` installs so that the whole set keeps its constraints: each
 * package goes to the newest version its origin offers (`offers`, any order, the installed version
 * may be among them) unless a dependent in the resulting set refuses it; then it is held back to
 * the newest version every dependent accepts, or a dependent's upgrade is held back when its new
 * version needs what cannot be had. Dependents that are upgraded too count with their new
 * constraints, so a package and its dependent go forward together. Versions only ever step down
 * from the newest, so this ends. Constraints already broken in the installed set are left to
 * `verify`; a dependency that is not installed yet is the resolver's to add.
 */
export function planUpgrade(
  installed: Record<string, Versioned>,
  offers: Record<string, Versioned[]>,
): { targets: Record<string, Versioned>; held: HeldBack[] } {
  const options: Record<string, Versioned[]> = {};
  const targets: Record<string, Versioned> = {};
  for (const p of Object.values(installed)) {
    const newer = (offers[p.name] ?? []).filter((o) => !lt(o.version, p.version) && o.version !== p.version);
    options[p.name] = [...newer.sort((a, b) => rcompare(a.version, b.version)), p];
    targets[p.name] = options[p.name]![0]!;
  }
  const reasons = new Map<string, BrokenConstraint>();
  const stepDown = (name: string, because: BrokenConstraint, accept: (v: Versioned) => boolean): boolean => {
    const list = options[name]!;
    const at = list.indexOf(targets[name]!);
    const next = list.slice(at + 1).find(accept);
    if (!next) return false;
    targets[name] = next;
    reasons.set(name, because);
    return true;
  };
  const initiallyBroken = new Set(brokenConstraints(installed).map(constraintKey));
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of brokenConstraints(targets)) {
      if (b.have === undefined || initiallyBroken.has(constraintKey(b))) continue;
      const acceptedByAll = (v: Versioned) =>
        Object.values(targets).every((q) =>
          q.depends.every((d) => {
            const r = rangeOf(d);
            return r.name !== b.name || fits(v.version, r.range);
          }),
        );
      // Hold the dependency back to what every dependent accepts; failing that, hold the dependent;
      // failing that (it is at its installed version), give this one what it needs and let the
      // next round hold back the upgraded dependents that this breaks.
      const accepted = (v: Versioned) => fits(v.version, rangeOf(b.dependency).range);
      if (
        stepDown(b.name, b, acceptedByAll) ||
        stepDown(b.dependent, b, () => true) ||
        stepDown(b.name, b, accepted)
      ) {
        changed = true;
        break;
      }
    }
  }
  const held: HeldBack[] = [];
  for (const [name, because] of reasons) {
    const newest = options[name]![0]!.version;
    if (newest !== targets[name]!.version) held.push({ name, newest, to: targets[name]!.version, because });
  }
  return { targets, held };
}

/** A newer version `upgrade` would install (`bpkg list --upgradable`). */
export interface Upgradable {
  name: string;
  from: string;
  to: string;
  repo: string;
  /**
   * The packages `to` depends on that are not installed: the upgrade installs them too, with what
   * they need in turn (not looked into here: that takes the resolver's plan). Absent when none.
   */
  newDependencies?: string[];
}

/**
 * The specs `upgrade` installs (`NAME@TO`), refused up front when a new version needs a package
 * no verified index offers (`offered`: the names they offer): the resolver would say only "No
 * package ghost (needed by app)" with a mistyped name's hint. Said per upgrade, with how the
 * package may come and the command that upgrades the others meanwhile: those asked for by name
 * only (`auto`: the names installed as dependencies), since naming one makes it the admin's.
 */
export function upgradeSpecs(ups: Upgradable[], offered: Set<string>, auto: Set<string>): string[] {
  const specs = ups.map((u) => `${u.name}@${u.to}`);
  const blocked = ups
    .map((u) => ({ u, missing: (u.newDependencies ?? []).filter((n) => !offered.has(n)) }))
    .filter((b) => b.missing.length);
  if (blocked.length === 0) return specs;
  const missing = [...new Set(blocked.flatMap((b) => b.missing))];
  const others = ups.filter((u) => !auto.has(u.name) && !blocked.some((b) => b.u === u));
  const stay = blocked.map(({ u }) => `${u.name} stays at ${u.from}`).join(', ');
  throw new NotFoundError(
    blocked
      .map(
        ({ u, missing }) =>
          `Cannot upgrade ${u.name} ${u.from} -> ${u.to}: ${u.name} ${u.to} needs ${missing.join(', ')}, which no configured repository offers`,
      )
      .join('; '),
    `Run \`bpkg update\` (a repository may offer ${missing.join(', ')} since), or add one that does (\`bpkg repo add NAME URL\`, then update); until then ${stay}.${others.length ? ` The other upgrades go through on their own: \`bpkg install ${others.map((u) => `${u.name}@${u.to}`).join(' ')}\`.` : ''}`,
  );
}

/** The names `p` depends on that `installed` does not hold, once each, in its order. */
export function missingDependencies(p: Versioned, installed: Record<string, unknown>): string[] {
  return [...new Set(p.depends.map((d) => rangeOf(d).name))].filter((n) => !(n in installed));
}

/** The same dependency list, whatever the order and spacing (the index entry against its manifest). */
export function sameDepends(a: string[], b: string[]): boolean {
  const norm = (l: string[]) => l.map((d) => d.replace(/\s+/g, '')).sort();
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/**
 * A plan must not break what an installed package that stays needs (`greeter` pins
 * `greetdata=1.0.0`, the plan brings greetdata 2.0.0): refused, the dependents named.
 */
export function refuseBreaking(installed: Record<string, Versioned>, chosen: Candidate[]): void {
  const after: Record<string, Versioned> = { ...installed };
  for (const c of chosen) after[c.entry.name] = c.entry;
  const broken = newlyBroken(installed, after);
  if (broken.length === 0) return;
  const dependents = [...new Set(broken.map((b) => b.dependent))];
  const names = [...new Set(broken.map((b) => b.name))];
  throw new ConflictError(
    `This would break what installed packages need: ${broken.map((b) => describeConstraint(b)).join('; ')}`,
    'dependency-conflict',
    `Choose a version of ${names.join(', ')} that ${dependents.join(', ')} ${dependents.length > 1 ? 'accept' : 'accepts'} (\`bpkg install ${names.map((n) => `${n}@VERSION`).join(' ')}\`), or upgrade ${dependents.join(', ')} with it (\`bpkg install ${[...dependents, ...names].join(' ')}\`).`,
  );
}
