/**
 * What `packageOps` answers about installing (`bpkg install`, its --dry-run, the console's and the
 * dashboard's confirmation): the plan shown, the install that carries it out, the preview of who
 * signed what an install would take.
 */
import { UsageError } from '../core/errors.js';
import { showFingerprint } from '../core/pkg/fingerprint-text.js';
import type { PackageManager, PlannedChange } from '../core/pkg/index.js';
import type { KeptPackage } from '../core/pkg/install.js';
import { isPackagePath } from '../core/pkg/package-spec.js';
import type { BoxContext } from './context.js';
import type { CallOptions } from './index.js';
import type { OutboundApprovals } from './outbound-approval.js';
import { somePackages } from './package-names.js';
import type { PackageOps } from './packages.js';
import { reachedBy, withReach } from './plan-reach.js';

/** A package to install as the admin should see it before saying yes: what, from where, signed by whom. */
export interface OfferedPackage {
  name: string;
  version: string;
  repo: string;
  /** Fingerprint (upper case) of the trusted key that signed the package itself; 'none' when none. */
  fingerprint: string;
  /** That key's user IDs; says the install will be refused when no trusted key signed it. */
  signer: string;
}

export interface InstallOptions extends CallOptions {
  /** Install again even if this version is installed. */
  reinstall?: boolean;
  /** Take the named packages from this repository; upgrades follow it from now on. */
  from?: string;
  /**
   * Typed in a shell (bpkg install): a path (one holding a '/') is a package file, and a name that
   * is no package but a folder here meant that folder (core/pkg/install.ts).
   */
  typed?: boolean;
  /**
   * The changes the admin was shown (from `plan`): the install is refused (`plan-changed`,
   * exit 5) unless the plan made under the package lock is the same. Then `confirm` is not asked.
   */
  expected?: PlannedChange[];
  /**
   * Module name -> the outbound hosts the admin was shown and approved (the console's and the
   * dashboard's question; the CLI's `--yes` approves instead). Holds only for exactly that list.
   */
  approveOutbound?: OutboundApprovals;
  /**
   * Told the packages named that were installed as dependencies and that the install marked as
   * the admin's (autoremove keeps them), each at its version: a change of state every front end
   * says (present/install.ts keptLine). `plan` tells the ones it would mark, marking nothing.
   */
  kept?: (kept: KeptPackage[]) => void;
}

/**
 * A change an install made; for a module with outbound network, the hosts the admin approved
 * (issue 19): the only destinations its container reaches.
 */
export type InstalledChange = PlannedChange & {
  outbound?: string[];
  /** The modules it is wired to (its `uses`): it reaches their sockets, with a token for each (its own, or the admin's). */
  reaches?: string[];
  /** A data folder kept from a package of this name from elsewhere: the module will not start with it. */
  dataHeld?: { dir: string; origin: string; signer: string };
};

/** What `packageOps` answers about installing. */
export type InstallOps = Pick<PackageOps, 'plan' | 'install' | 'preview'>;

export function installOps(
  ctx: BoxContext,
  pm: (call?: CallOptions & { approveOutbound?: OutboundApprovals }) => Promise<PackageManager>,
): InstallOps {
  return {
    async plan(specs, opts = {}) {
      // As install judges them: `bpkg install --dry-run` answers what the install would.
      somePackages(specs, 'install');
      if (!opts.typed) namesOnly(specs);
      // A plan changes nothing: not even a cache a read would make again (`bpkg install --dry-run`).
      const m = await ctx.manager({ ...opts, dryRun: true });
      const changes = await m.plan(specs, installOpts(opts));
      const signers = opts.signers ? await m.planSigners(changes) : new Map<string, string>();
      return (await withReach(m, ctx.root, changes)).map((c) => {
        const signer = signers.get(c.name);
        return signer ? { ...c, signer } : c;
      });
    },
    async install(specs, opts = {}) {
      somePackages(specs, 'install');
      if (!opts.typed) namesOnly(specs);
      const m = await pm(opts);
      const changes = await m.install(specs, {
        ...installOpts(opts),
        ...(opts.expected
          ? { expected: opts.expected }
          : {
              // Which modules each one reaches, with their tokens, is part of what the admin says yes to.
              confirm: async (changes: PlannedChange[]) =>
                ctx.ask({ kind: 'install', changes: await withReach(m, ctx.root, changes) }),
            }),
      });
      const { findRegistration } = await import('../core/services/registry.js');
      const { dataOwnerConflict } = await import('../core/services/data-owner.js');
      return Promise.all(
        changes.map(async (c): Promise<InstalledChange> => {
          const reg = await findRegistration(ctx.root, c.name).catch(() => undefined);
          // Said at install, not only when it first starts (core/services/data-owner.ts).
          const held = reg?.spec.data ? dataOwnerConflict(ctx.root, c.name) : undefined;
          const reaches = reachedBy(reg?.uses);
          return {
            ...c,
            ...(reaches.length ? { reaches } : {}),
            ...(reg?.spec.network === 'outbound' ? { outbound: reg.approvals.outbound ?? [] } : {}),
            ...(held ? { dataHeld: { dir: held.dir, ...held.kept } } : {}),
          };
        }),
      );
    },
    async preview(name) {
      namesOnly([name]);
      const m = await pm();
      let kept: KeptPackage[] = [];
      const [offer, plan] = await Promise.all([
        offeredBy(m, name),
        m
          .plan([name], installOpts({ kept: (k) => (kept = k) }))
          .then((changes) => withReach(m, ctx.root, changes)),
      ]);
      return { offer, plan, ...(kept.length ? { kept } : {}) };
    },
  };
}

/**
 * A screen's (the dashboard's, the console's) specs are package names: a path there, which the
 * package manager would read as a local file (one ending in .bpkg) or a folder's, is refused before
 * anything is read. `bpkg install` (typed) and model import take files.
 */
function namesOnly(specs: string[]): void {
  for (const s of specs)
    if (isPackagePath(s))
      throw new UsageError(
        `${s} is not a package name`,
        'Name a package a repository offers (`bpkg search WORD` lists them).',
      );
}

const installOpts = (o: {
  reinstall?: boolean;
  from?: string;
  typed?: boolean;
  kept?: (kept: KeptPackage[]) => void;
}) => ({
  ...(o.kept ? { kept: o.kept } : {}),
  ...(o.reinstall ? { reinstall: true } : {}),
  ...(o.from !== undefined ? { from: o.from } : {}),
  ...(o.typed ? { typed: true } : {}),
});

async function offeredBy(m: PackageManager, name: string): Promise<OfferedPackage> {
  const o = await m.offeredSigners(name);
  return {
    name,
    version: o.version,
    repo: o.repo,
    fingerprint: o.keys[0] ? showFingerprint(o.keys[0].fingerprint) : 'none',
    signer: o.keys.length
      ? o.keys.map((k) => k.userIds.join(', ')).join('; ')
      : 'no trusted key (the install will be refused)',
  };
}
