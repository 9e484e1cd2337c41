import type {
  HeldUpgrade,
  PackageManager,
  PlannedChange,
  UpdateOutcome,
  Upgradable,
} from '../core/pkg/index.js';
import type { BoxContext } from './context.js';
import type { CallOptions } from './index.js';
import type { PackageOps } from './packages.js';
import { withReach } from './plan-reach.js';

/** The upgrades offered, and the newer versions `upgrade` holds back to keep what installed packages need. */
export interface UpgradeOutlook {
  upgradable: Upgradable[];
  held: HeldUpgrade[];
}

/** `PackageOps.upgrade`'s options. */
export interface UpgradeOptions extends CallOptions {
  /** Fetch and verify the indexes first (`bpkg update && bpkg upgrade`; the TUI's `u`). */
  refresh?: boolean;
  /** With `refresh`: what the update gave, each repository's outcome (a front end says which failed). */
  onUpdated?: (outcomes: UpdateOutcome[]) => void;
  /** What the upgrade holds back (each also warned of), told before anything is installed. */
  onHeld?: (held: HeldUpgrade[]) => void;
  /**
   * The plan shown (`upgradePlan`): carried out only if the plan made under the package lock is
   * the same, else refused (`plan-changed`), as an install's `expected`. Then nothing is asked.
   */
  expected?: PlannedChange[];
}

/** What `packageOps` answers about upgrades: the upgrades to show, the plan to ask about, the upgrade. */
export type UpgradeOps = Pick<PackageOps, 'upgradable' | 'upgradeOutlook' | 'upgradePlan' | 'upgrade'>;

export function upgradeOps(ctx: BoxContext, pm: (call?: CallOptions) => Promise<PackageManager>): UpgradeOps {
  // One look at the upgrades (core's upgradePlan); the package manager it came from, if one was needed.
  const look = async (opts: { quiet?: boolean }): Promise<UpgradeOutlook & { m?: PackageManager }> => {
    const { noUpgrades } = await quickFast();
    // No newer version anywhere (the sealed tables say so): nothing to upgrade, nothing held back.
    if (await noUpgrades(ctx.paths, new Date()).catch(() => undefined)) return { upgradable: [], held: [] };
    // Only a look (`bpkg upgrade --dry-run`, `list --upgradable`): it writes not even a cache.
    const m = await ctx.manager({ dryRun: true });
    const { ups, held } = await m.upgradePlan(opts);
    return { upgradable: ups, held, m };
  };
  return {
    // The Dashboard asks at its first paint and every 2 s (core/pkg/upgradable-fast.ts): the last
    // answer while nothing it came from changed on disk, else "none" from the sealed search tables
    // when they can say it, else the package manager's plan.
    async upgradable() {
      const { noUpgrades, stateStamp } = await quickFast();
      const stamp = stateStamp(ctx.paths);
      const last = lastUpgradable.get(ctx);
      if (last?.stamp === stamp) return structuredClone(last.ups);
      const ups =
        (await noUpgrades(ctx.paths, new Date()).catch(() => undefined)) ?? (await (await pm()).upgradable());
      // Kept only when nothing changed while it was worked out.
      if (stateStamp(ctx.paths) === stamp) lastUpgradable.set(ctx, { stamp, ups: structuredClone(ups) });
      return ups;
    },
    async upgradeOutlook() {
      const { upgradable, held } = await look({});
      return { upgradable, held };
    },
    async upgradePlan(opts = {}) {
      const { upgradable, held, m } = await look(opts);
      if (!m || !upgradable.length) return { upgradable, held, changes: [] };
      // The specs `upgrade` installs (core/pkg/upgrade.ts), planned as its install plans them.
      const planned = await m.plan(await m.upgradeSpecs(upgradable));
      // Each package's own signature, judged as the upgrade's install judges it (its refusal is the answer).
      const signers = opts.signers ? await m.planSigners(planned) : new Map<string, string>();
      const changes = (await withReach(m, ctx.root, planned)).map((c) => {
        const signer = signers.get(c.name);
        return signer ? { ...c, signer } : c;
      });
      return { upgradable, held, changes };
    },
    async upgrade(opts = {}) {
      const m = await pm(opts);
      if (opts.refresh) {
        opts.info?.('checking the repositories');
        const outcomes = await m.update();
        opts.onUpdated?.(outcomes);
      }
      return m.upgrade({
        ...(opts.onHeld ? { onHeld: opts.onHeld } : {}),
        ...(opts.expected
          ? { expected: opts.expected }
          : {
              confirm: async (changes: PlannedChange[]) =>
                ctx.ask({ kind: 'upgrade', changes: await withReach(m, ctx.root, changes) }),
            }),
      });
    },
  };
}

/** The count of upgrades without the package manager (core/pkg/upgradable-fast.ts). */
const quickFast = () => import('../core/pkg/upgradable-fast.js');

/** Each box's last answer of `upgradable()`, and the stamp of the files on disk it came from. */
const lastUpgradable = new WeakMap<
  BoxContext,
  { stamp: string; ups: Awaited<ReturnType<PackageOps['upgradable']>> }
>();
