import fc from 'fast-check';
import { satisfies } from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import type { InstalledPackage } from '../../src/core/pkg/db.js';
import { type IndexEntry, indexEntrySchema } from '../../src/core/pkg/format.js';
import { archMatches, type Candidate, type Request, rangeOf, resolve } from '../../src/core/pkg/resolve.js';
import { corpusJson, fuzzParams, summary, tally } from './support/budget.js';

/**
 * Target: the dependency resolver (resolve.ts) on random package sets from two repositories, with
 * random constraints (exact, ranges, pre-releases, cycles, missing packages, other arches), random
 * installed sets, local packages and origin pins. Properties: it ends within a bounded number of
 * steps with a plan or a typed error; a plan satisfies every request and every dependency of
 * every package in it (or an installed package that stays satisfies it), matches the host's
 * arch, comes from the candidates, and takes a pinned package only from its repository.
 */
const NAMES = ['a', 'b', 'c', 'd', 'e'];
const VERSIONS = ['0.1.0', '1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1', '2.0.0', '10.0.0'];
const OPS = ['', '>=', '<=', '=', '>', '<'];
const REPOS = ['main', 'third'];
const HOST = 'x86_64';

const comparator = fc
  .tuple(
    fc.constantFrom(...OPS.filter(Boolean)),
    fc.constantFrom(...VERSIONS),
    fc.constantFrom('', '', ' ', '+build', '-x'),
  )
  .map(([op, v, odd]) => (odd === ' ' ? ` ${op} ${v}` : `${op}${v}${odd}`));
/** `name`, `name>=1.0.0`, or comparators joined by commas (`name>=1.0.0,<2.0.0`), some never satisfiable. */
const dependency = fc
  .tuple(fc.constantFrom(...NAMES, ...NAMES, 'missing'), fc.array(comparator, { maxLength: 2 }))
  .map(([n, cs]) => n + cs.join(','));

const entry = fc.record({
  name: fc.constantFrom(...NAMES),
  version: fc.constantFrom(...VERSIONS),
  arch: fc.constantFrom('all', 'x86_64', 'aarch64'),
  depends: fc.array(dependency, { maxLength: 3 }),
  repo: fc.constantFrom(...REPOS),
});

interface World {
  candidates: Array<{ name: string; version: string; arch: string; depends: string[]; repo: string }>;
  installed: Array<{ name: string; version: string; depends: string[]; origin: string }>;
  requests: Array<{ name: string; version?: string }>;
  presetIndex?: number;
  pins: Record<string, string>;
  floor?: boolean;
}

const world: fc.Arbitrary<World> = fc.record({
  candidates: fc.array(entry, { minLength: 1, maxLength: 14 }),
  installed: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom(...NAMES),
      version: fc.constantFrom(...VERSIONS),
      depends: fc.array(dependency, { maxLength: 2 }),
      origin: fc.constantFrom(...REPOS),
    }),
    { selector: (p) => p.name, maxLength: 3 },
  ),
  requests: fc.array(
    fc.record(
      {
        name: fc.constantFrom(...NAMES, 'missing'),
        version: fc.constantFrom(...VERSIONS, '^1.0.0', '>=2', '1.x', 'latest', '1.0.0 || 2.0.0'),
      },
      { requiredKeys: ['name'] },
    ),
    { minLength: 1, maxLength: 3 },
  ),
  presetIndex: fc.option(fc.nat(), { nil: undefined }),
  pins: fc.dictionary(fc.constantFrom(...NAMES), fc.constantFrom(...REPOS), { maxKeys: 2 }),
  floor: fc.boolean(),
});

const toEntry = (c: World['candidates'][number]): IndexEntry | undefined => {
  const r = indexEntrySchema.safeParse({
    name: c.name,
    version: c.version,
    arch: c.arch,
    summary: 's',
    depends: c.depends,
    size: 1,
    sha256: '0'.repeat(64),
    path: `pool/${c.name}.bpkg`,
  });
  return r.success ? r.data : undefined;
};

class StepLimit extends Error {}

/** The manager's check of a whole installed set; absent before it existed (then nothing refuses). */
type Constraints = {
  newlyBroken(before: Record<string, unknown>, after: Record<string, unknown>): unknown[];
};
const constraints = (await import('../../src/core/pkg/constraints.js' as string).catch(() => undefined)) as
  | Constraints
  | undefined;

function checkResolve(w: World, keepInstalled: boolean): void {
  // Only what the index schema accepts reaches the resolver.
  // With `floor`, every name has a plain 1.0.0 in main, so that more runs end in a plan.
  const floor = w.floor
    ? NAMES.map((name) => ({ name, version: '1.0.0', arch: 'all', depends: [], repo: 'main' }))
    : [];
  const available: Candidate[] = [...w.candidates, ...floor].flatMap((c) => {
    const e = toEntry(c);
    return e ? [{ entry: e, repo: c.repo }] : [];
  });
  const installed: Record<string, InstalledPackage> = Object.fromEntries(
    w.installed.map((p) => [
      p.name,
      { ...p, arch: 'all', summary: 's', signer: 'f', installed: '2026-01-01T00:00:00Z' },
    ]),
  );
  const preset =
    w.presetIndex !== undefined && available.length
      ? [{ ...available[w.presetIndex % available.length]!, repo: 'file' }]
      : [];
  // Every pick scans the candidates once (filter); picks per name only move down a shrinking
  // list, so the scans are bounded by the candidates. Far past that is a loop.
  const bound = 4 * (available.length + w.requests.length + preset.length) + 10;
  let steps = 0;
  const counted = new Proxy(available, {
    get(target, key, receiver) {
      if (key === 'filter' && ++steps > bound) throw new StepLimit(`more than ${bound} scans`);
      return Reflect.get(target, key, receiver);
    },
  });
  const requests: Request[] = w.requests;
  let plan: Candidate[];
  try {
    // The pins argument is new (finding 5); an older resolve ignores it.
    plan = (resolve as (...a: unknown[]) => Candidate[])(requests, counted, installed, HOST, preset, w.pins);
  } catch (err) {
    if (err instanceof BlueprintError) {
      tally(`refused: ${err.code}`);
      return;
    }
    throw err;
  }
  tally('planned');
  const chosen = new Map(plan.map((c) => [c.entry.name, c]));
  const problems: string[] = [];
  const fits = (v: string, range: string) => satisfies(v, range, { includePrerelease: true });
  if (chosen.size !== plan.length) problems.push('a name is planned twice');
  for (const r of requests) {
    const c = chosen.get(r.name);
    if (!c) problems.push(`request ${r.name} not planned`);
    else if (r.version && !fits(c.entry.version, r.version))
      problems.push(`request ${r.name}@${r.version} got ${c.entry.version}`);
  }
  for (const c of plan) {
    const isPreset = preset.includes(c);
    if (!isPreset && !available.includes(c)) problems.push(`${c.entry.name} is not a candidate`);
    // A local package's arch is checked by the manager before resolving (wrong-arch).
    if (!isPreset && !archMatches(c.entry.arch, HOST))
      problems.push(`${c.entry.name} is for ${c.entry.arch}`);
    const pin = w.pins[c.entry.name];
    if (!isPreset && pin !== undefined && c.repo !== pin)
      problems.push(`${c.entry.name} is pinned to ${pin} but comes from ${c.repo}`);
  }
  // Every planned package has its dependencies met by what will be installed afterwards, and
  // no dependency of an installed package that held before the plan is broken by it.
  const before = new Map(Object.values(installed).map((p) => [p.name, p.version]));
  const after = new Map(before);
  for (const c of plan) after.set(c.entry.name, c.entry.version);
  const met = (d: string, world: Map<string, string>) => {
    const { name, range } = rangeOf(d);
    const v = world.get(name);
    return v !== undefined && fits(v, range);
  };
  for (const c of plan)
    for (const d of c.entry.depends)
      if (!met(d, after)) problems.push(`${c.entry.name} ${c.entry.version} needs ${d}`);
  if (keepInstalled) {
    // resolve() picks versions; the manager then refuses a plan that breaks what installed
    // packages had (constraints.ts, newlyBroken). Together they must never leave one broken.
    const breaks: string[] = [];
    for (const p of Object.values(installed))
      if (!chosen.has(p.name))
        for (const d of p.depends)
          if (met(d, before) && !met(d, after)) breaks.push(`installed ${p.name} ${p.version} needs ${d}`);
    const refused =
      constraints !== undefined &&
      constraints.newlyBroken(
        installed,
        Object.fromEntries(
          [...Object.values(installed), ...plan.map((c) => c.entry)].map((p) => [p.name, p]),
        ),
      ).length > 0;
    if (breaks.length && !refused) problems.push(...breaks.map((b) => `${b}: the plan breaks it, unrefused`));
  }
  expect(problems).toEqual([]);
}

describe('fuzz: dependency resolver', () => {
  afterAll(() => console.log(summary('resolver')));
  const examples = corpusJson<World>('resolver').map((w): [World] => [w]);

  it('ends in bounded steps; a plan meets its requests, its own dependencies, arch and pins', () => {
    fc.assert(
      fc.property(world, (w) => checkResolve(w, false)),
      fuzzParams(examples, 0.5),
    );
  });

  it('a plan that breaks a dependency an installed package had met is refused by the manager check', () => {
    fc.assert(
      fc.property(world, (w) => checkResolve(w, true)),
      fuzzParams(examples, 0.5),
    );
  });
});
