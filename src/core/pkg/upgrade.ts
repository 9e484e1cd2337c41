import { gt } from 'semver';
import {
  type HeldUpgrade,
  missingDependencies,
  planUpgrade,
  type Upgradable,
  upgradeSpecs,
  type Versioned,
} from './constraints.js';
import { hostArch } from './install.js';
import { readInstalled } from './installed-db.js';
import { LOCAL_ORIGIN } from './local-key.js';
import type { ManagerParts } from './parts.js';
import { archMatches } from './resolve.js';
import { originsOf, usableStates } from './states.js';

/**
 * Newer versions of installed packages, each from the repository it came from only (its origin):
 * a newer version elsewhere is not an upgrade. Local-file installs and unknown origins are skipped.
 * The versions keep every installed dependent's constraints (see `planUpgrade`): what a dependent
 * refuses is held back (`held`), or goes forward with the dependent's own upgrade. `quiet`: no
 * warning of the packages not upgraded (the dashboard's plan page shows none).
 */
export async function upgradePlan(
  parts: ManagerParts,
  opts: { quiet?: boolean } = {},
): Promise<{ ups: Upgradable[]; held: HeldUpgrade[] }> {
  const warn = opts.quiet ? () => undefined : parts.hookOpts.warn;
  const db = await readInstalled(parts.paths);
  const states = await usableStates(parts, false);
  const available = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
  const origins = originsOf(db, states);
  const configured = new Set((await parts.repos.list()).map((r) => r.name));
  const offers: Record<string, Versioned[]> = {};
  for (const p of Object.values(db.packages)) {
    const origin = origins.get(p.name);
    if (origin === 'file' || origin === LOCAL_ORIGIN) continue;
    if (origin === undefined) {
      warn(
        `${p.name}: no repository offers its installed version ${p.version}, so where it upgrades from is unknown; choose: \`bpkg install ${p.name} --from REPO\``,
      );
      continue;
    }
    // Its repository removed (\`repo remove\`): it would be skipped without a word.
    if (!configured.has(origin)) {
      warn(
        `${p.name}: its repository ${origin} is not configured: not upgraded. Add it again (\`bpkg repo add ${origin} URL\`) or take it from another: \`bpkg install ${p.name} --from REPO\``,
      );
      continue;
    }
    offers[p.name] = available
      .filter((c) => c.repo === origin && c.entry.name === p.name && archMatches(c.entry.arch, hostArch()))
      .map((c) => c.entry);
  }
  const { targets, held } = planUpgrade(db.packages, offers);
  const ups = Object.values(db.packages)
    .filter((p) => gt(targets[p.name]!.version, p.version))
    .map((p) => {
      const newDependencies = missingDependencies(targets[p.name]!, db.packages);
      return {
        name: p.name,
        from: p.version,
        to: targets[p.name]!.version,
        repo: origins.get(p.name)!,
        ...(newDependencies.length ? { newDependencies } : {}),
      };
    });
  return { ups, held: held.map((h) => ({ ...h, from: db.packages[h.name]!.version })) };
}

/** What `upgrade` installs for `ups` (`NAME@TO`); NotFoundError for a new dependency no index offers. */
export async function upgradeSpecsFor(parts: ManagerParts, ups: Upgradable[]): Promise<string[]> {
  const states = await usableStates(parts, false);
  const auto = Object.values((await readInstalled(parts.paths)).packages).filter((p) => p.auto);
  return upgradeSpecs(
    ups,
    new Set(states.flatMap((s) => s.index.packages.map((e) => e.name))),
    new Set(auto.map((p) => p.name)),
  );
}
