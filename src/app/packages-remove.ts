import { DeclinedError, UsageError } from '../core/errors.js';
import { PACKAGE_NAME } from '../core/pkg/format-checks.js';
import { checkRoot } from '../core/pkg/update-fast.js';
import type { BoxContext } from './context.js';
import { somePackages } from './package-names.js';
import type { PackageOps, RemovedPackage } from './packages.js';

/** What `packageOps` answers about removal: the removal, and what it would do (`bpkg remove --dry-run`). */
export type RemoveOps = Pick<PackageOps, 'remove' | 'removalPlan'>;

/**
 * Whether blueprint-NAME of this box runs: undefined when the engine cannot say (down, or the
 * container is another box's).
 */
async function containerRuns(ctx: BoxContext, name: string): Promise<boolean | undefined> {
  const { inspectContainer } = await import('../core/services/container-info.js');
  return inspectContainer(ctx.engine(), name, ctx.root).then(
    (info) => info?.State.Running === true,
    () => undefined,
  );
}

/** Of `names`, the modules with a service registration whose container runs (best effort). */
async function runningServices(ctx: BoxContext, names: string[]): Promise<string[]> {
  const { findRegistration } = await import('../core/services/registry.js');
  const running: string[] = [];
  for (const name of names)
    if ((await findRegistration(ctx.root, name).catch(() => undefined)) && (await containerRuns(ctx, name)))
      running.push(name);
  return running;
}

/** The removal's options (`PackageOps.remove`). */
export interface RemoveOptions {
  force?: boolean;
  purge?: boolean;
  /**
   * Given: a name not installed (nor with data kept to purge) is left out and told here, the others
   * removed (apt: "Package 'B' is not installed, so not removed"; idempotent for scripts). Absent:
   * such a name refuses the whole removal (not found, exit 3), nothing removed.
   */
  notInstalled?: (names: string[]) => void;
}

/**
 * A name that is nothing installed must at least be a package name: `bpkg remove ../x` or
 * `remove good@1.0.0` is a mistake to say (exit 2), not a package to note as absent.
 */
function packageNames(names: string[], installed?: ReadonlySet<string>): void {
  somePackages(names, 'remove');
  const bad = installed && names.find((n) => !installed.has(n) && !PACKAGE_NAME.test(n));
  if (bad)
    throw new UsageError(
      `${bad} is not a package name`,
      'A package name is lower-case letters, digits and dashes; `bpkg list` shows the installed ones.',
    );
}

export function removeOps(ctx: BoxContext): RemoveOps {
  return {
    async remove(names, opts = {}) {
      packageNames(names);
      const left = new Map<string, { image: string; remove: string }>();
      const m = await ctx.manager({ ...opts, imageLeft: ({ name, ...l }) => left.set(name, l) });
      const services = await import('../core/services/index.js');
      // Whom each one's data belongs to, read before the removal forgets it (module-data.ts).
      const owners = new Map((await m.installed()).map((p) => [p.name, p]));
      packageNames(names, new Set(owners.keys()));
      // Removed already, its data kept: --purge deletes that data (apt's purge of a removed package).
      const keptOnly: string[] = [];
      if (opts.purge) {
        checkRoot(ctx.paths);
        for (const n of names)
          if (!owners.has(n) && (await services.moduleDataDir(ctx.root, n))) keptOnly.push(n);
      }
      const absent = opts.notInstalled ? names.filter((n) => !owners.has(n) && !keptOnly.includes(n)) : [];
      const asked = names.filter((n) => !absent.includes(n));
      if (asked.length && !(await ctx.ask({ kind: 'remove', names: asked })))
        throw new DeclinedError('remove');
      const installed = asked.filter((n) => !keptOnly.includes(n));
      // Running before the removal and not after: the removal stopped it (said, as --dry-run says it would).
      const wasRunning = installed.length ? await runningServices(ctx, installed) : [];
      // Which take consumers' purges, read before the removal takes their registrations: a plain
      // removal records it with the kept data, which a later purge of a consumer then still asks.
      const optIns = opts.purge ? new Set<string>() : await services.purgeOptIns(ctx.root, installed);
      const changes = installed.length
        ? await m.remove(installed, { force: opts.force ?? false, missingOk: !!opts.notInstalled })
        : [];
      // One removed meanwhile by another command is as absent as one never installed.
      const gone = [...absent, ...installed.filter((n) => !changes.some((c) => c.name === n))];
      if (opts.notInstalled && gone.length) opts.notInstalled([...new Set(gone)]);
      const stopped: string[] = [];
      for (const name of wasRunning) if ((await containerRuns(ctx, name)) === false) stopped.push(name);
      // A module's data outlives its removal (a reinstall finds it) unless the admin purges it.
      const out: RemovedPackage[] = [];
      // Purged: its own folder, and what it made in the providers that keep data per consumer.
      // A provider that could not be asked (no record written): the consumer's own folder is kept,
      // so the same command finds it and asks again (else it is neither installed nor kept).
      const purging = new Set(asked);
      const purgeAll = async (name: string) => {
        const asked = await services.purgeConsumerData(ctx.root, name, () => ctx.engine(), {
          except: purging,
        });
        const ask = asked.length ? { purgeAsked: asked } : {};
        if (asked.some((a) => a.state === 'failed')) {
          const dataKept = await services.moduleDataDir(ctx.root, name);
          return { ...(dataKept ? { dataKept } : {}), ...ask };
        }
        const purged = await services.purgeModuleData(ctx.root, name);
        return { ...(purged ? { purged } : {}), ...ask };
      };
      for (const name of keptOnly) out.push({ name, ...(await purgeAll(name)) });
      for (const change of changes) {
        const imageLeft = left.get(change.name);
        const c: RemovedPackage = {
          ...change,
          ...(imageLeft ? { imageLeft } : {}),
          ...(stopped.includes(change.name) ? { stopped: true as const } : {}),
        };
        if (opts.purge) out.push({ ...c, ...(await purgeAll(c.name)) });
        else {
          const dataKept = await services.moduleDataDir(ctx.root, c.name);
          const owner = owners.get(c.name);
          if (dataKept && owner)
            await services.bindModuleData(ctx.root, c.name, owner, { consumerPurge: optIns.has(c.name) });
          out.push(dataKept ? { ...c, dataKept } : c);
        }
      }
      return out;
    },

    async removalPlan(names, opts = {}) {
      packageNames(names);
      const m = await ctx.manager({ dryRun: true });
      const installed = new Set((await m.installed()).map((p) => p.name));
      packageNames(names, installed);
      const services = await import('../core/services/index.js');
      const plan = await m.removalPlan(names, { force: opts.force ?? false });
      const keptDirs = new Map<string, string>();
      if (opts.purge)
        for (const name of plan.notInstalled) {
          const dir = await services.moduleDataDir(ctx.root, name);
          if (dir) keptDirs.set(name, dir);
        }
      // The providers a purge would ask, less those this removal takes or purges.
      const going = new Set([...plan.changes.map((c) => c.name), ...keptDirs.keys()]);
      const wouldAsk = async (name: string) => {
        const p = await services.purgeProviders(ctx.root, name, going);
        const kept = p.filter((q) => q.kept).map((q) => q.name);
        return p.length
          ? { wouldAsk: p.map((q) => q.name), ...(kept.length ? { wouldAskKept: kept } : {}) }
          : {};
      };
      const keptOnly: RemovedPackage[] = [];
      for (const [name, dir] of keptDirs) keptOnly.push({ name, purged: dir, ...(await wouldAsk(name)) });
      const changes: RemovedPackage[] = [...keptOnly];
      for (const c of plan.changes) {
        const dir = await services.moduleDataDir(ctx.root, c.name);
        const asked = opts.purge ? await wouldAsk(c.name) : {};
        changes.push(
          dir
            ? { ...c, ...(opts.purge ? { purged: dir } : { dataKept: dir }), ...asked }
            : { ...c, ...asked },
        );
      }
      // The removal takes a running service's container with its package (hooks.ts afterRemove):
      // said beforehand.
      const stops = await runningServices(
        ctx,
        plan.changes.filter((c) => c.from).map((c) => c.name),
      );
      return {
        changes,
        notInstalled: plan.notInstalled.filter((n) => !keptOnly.some((k) => k.name === n)),
        unneeded: plan.unneeded,
        stops,
      };
    },
  };
}
