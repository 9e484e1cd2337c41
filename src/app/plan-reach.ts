import { parseDependency } from '../core/pkg/format-checks.js';
import type { PackageManager, PlannedChange } from '../core/pkg/index.js';

/**
 * A planned change as the admin is shown it before saying yes. `reaches`: the modules whose
 * sockets the package can be wired to, and whose access tokens it then gets (module wiring,
 * docs/module-wiring.md: a consumer gets each used module's socket and, when set, its token).
 */
export type ShownChange = PlannedChange & { reaches?: string[] };

const nameOf = (dependency: string) => parseDependency(dependency).name;

/**
 * Adds `reaches` to each planned change that can be wired to another module. Before the yes the
 * package is not downloaded, so its manifest's `uses` is not known; the signed index's `depends`
 * is (`repo build` writes depends + uses there, core/pkg/format.ts `requirements`). So this names
 * every module among those: the ones installed with a service, and the packages of this same plan
 * (not unpacked yet, so not known not to be modules). It may name one the package only depends
 * on, never leaves out one it uses: the admin is told at most, not less. The install's result
 * names exactly what it uses (`reachedBy`).
 */
export async function withReach(
  m: PackageManager,
  root: string,
  changes: PlannedChange[],
): Promise<ShownChange[]> {
  if (changes.length === 0) return changes;
  const { findRegistration } = await import('../core/services/registry.js');
  const planned = new Set(changes.map((c) => c.name));
  const isModule = async (name: string) =>
    planned.has(name) || (await findRegistration(root, name).catch(() => undefined)) !== undefined;
  return Promise.all(
    changes.map(async (c) => {
      // A local .bpkg is not in the indexes: nothing signed to say it with before the yes.
      const offer = await m.info(c.name).then(
        (i) => i.available.find((a) => a.version === c.to && a.repo === c.repo),
        () => undefined,
      );
      const needs = [...new Set((offer?.depends ?? []).map(nameOf))].filter((n) => n !== c.name);
      const reaches = (await Promise.all(needs.map(async (n) => ((await isModule(n)) ? n : '')))).filter(
        Boolean,
      );
      return reaches.length ? { ...c, reaches: reaches.sort() } : c;
    }),
  );
}

/** The modules a registered module is wired to: its manifest's `uses`, by name. */
export const reachedBy = (uses: string[] | undefined): string[] =>
  [...new Set((uses ?? []).map(nameOf))].sort();
