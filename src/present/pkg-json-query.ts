/**
 * bpkg's --json lists but `search`'s (pkg-json.ts, which the start part's quick search uses): the
 * same names for the same things in each (docs/pkg-json.md). Read only by the command part.
 */

/** An installed record (`bpkg list`, `bpkg info`'s `installed`). */
export const installedJson = <P extends { version: string; installed: string; origin: string }>(p: P) => ({
  ...p,
  installedVersion: p.version,
  installedAt: p.installed,
  repository: p.origin,
});

/** `bpkg info NAME`: its installed record and each version offered, as above. */
export const infoJson = <
  I extends {
    installed?: { version: string; installed: string; origin: string };
    available: Array<{ repo: string }>;
  },
>(
  i: I,
) => ({
  ...i,
  ...(i.installed
    ? {
        installed: installedJson(i.installed),
        installedVersion: i.installed.version,
        installedAt: i.installed.installed,
      }
    : {}),
  available: i.available.map((a) => ({ ...a, repository: a.repo })),
});

/** An entry of `bpkg list --upgradable` / `upgrade --dry-run`. */
export const upgradableJson = <U extends { from: string; repo: string }>(u: U) => ({
  ...u,
  repository: u.repo,
  installedVersion: u.from,
});

/**
 * A package `bpkg upgrade --dry-run` would install new to the box (`newPackages`): the plan's
 * change as `bpkg install --json` gives it (`to`, `repo`, `size`, `dependencyOf`), with `repository`.
 */
export const newPackageJson = <C extends { repo: string }>(c: C) => ({ ...c, repository: c.repo });
