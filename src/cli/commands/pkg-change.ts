/** `bpkg install | remove | autoremove | upgrade | rollback`: the commands that change what is installed. */

import type { KeptPackage } from '../../app/index.js';
import { type HeldUpgrade, heldBackJson } from '../../present/held-back.js';
import { installedLine, keptLine, notStartedLine, upgradedLine } from '../../present/install.js';
import { nothingUpgradedLine, purgeAskLines, removedLine } from '../../present/packages.js';
import { shownHint } from '../../present/root-in-hints.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';
import { optBool, optString, requirePositionals } from '../command.js';
import type { Context } from '../context.js';
import {
  dryRunOptions,
  isDryRun,
  notInstalledLine,
  notKept,
  showInstallPlan,
  showRemovalPlan,
} from './pkg-dry-run.js';
import { showUpgradable } from './pkg-query.js';

/**
 * Ctrl-C once the package is unpacked (its image loading, the commit): nothing checks the signal
 * there, so the transaction finishes; the admin who pressed it is told so rather than left to guess
 * from an exit code of 0.
 */
function finishedDespiteInterrupt(ctx: Context): void {
  if (!ctx.signal.aborted) return;
  ctx.answerSignal(); // completed whole, and said so: exit 0 (test/pkg/interrupt-late)
  ctx.warn(
    shownHint(
      'interrupted while the change was being made: it was completed rather than stopped part-way, nothing is half-done (`bpkg list` shows it).',
    ),
  );
}

export const install: CommandSpec = {
  name: 'install',
  summary: 'Install packages from the repositories, or local ./NAME.bpkg files (with .asc beside)',
  args: 'NAME[@VERSION]... | FILE.bpkg...',
  judgesEmptyArgs: true,
  options: {
    reinstall: { type: 'boolean', description: 'Install again even if this version is installed' },
    from: {
      type: 'string',
      value: 'REPO',
      description: 'Take the named packages from this repository; upgrades follow it from now on',
    },
    ...dryRunOptions('the install'),
  },
  details:
    'Every package is checked against the signed index (size, SHA-256) and its own signature before anything is unpacked.\nAn installed package is upgraded only from the repository it came from (see `bpkg list`); --from switches it on purpose.\nA new dependency comes from the repository of the package that needs it when that one has a fitting version.\nA path (it holds a / or ends in .bpkg) is a package file: a folder given is refused (exit 2), naming the .bpkg in it.\nA package from a repository must be signed by one of that repository\'s keys; a package file may be signed by any trusted key\n(`bpkg key list`), bound to a repository or not.\nWith --dry-run (-s): the plan (versions, repository, new dependencies, download size, who signed it:\neach signature alone is fetched) printed, nothing changed or downloaded; a refusal exits as the install\nwould (--json: {"dryRun": true, "changes", "downloadSize", "kept"}).\nA package named that was installed as a dependency is marked as installed by you (autoremove keeps it),\nand that is said (--json: kept, its names; --dry-run: it would be, nothing is marked).',
  async run(ctx, parsed) {
    const from = optString(parsed, 'from');
    const packages = cliBox(ctx).packages;
    if (isDryRun(parsed))
      return showInstallPlan(
        ctx,
        parsed.positionals,
        { reinstall: optBool(parsed, 'reinstall'), ...(from !== undefined ? { from } : {}) },
        (specs) => alreadyInstalled(specs, () => packages.list()),
      );
    // Named now, a package that came in as a dependency becomes the admin's (autoremove leaves
    // it): a change of state, said (apt: "set to manually installed"; --json: kept).
    let kept: KeptPackage[] = [];
    const changes = await packages.install(parsed.positionals, {
      typed: true,
      reinstall: optBool(parsed, 'reinstall'),
      ...(from !== undefined ? { from } : {}),
      kept: (k) => {
        kept = k;
      },
    });
    // Installed already and not marked now: only that, as before.
    const rest = notKept(parsed.positionals, kept);
    // NAME@VERSION over another version (a downgrade too) leaves a running service on the old one.
    const running = await stillRunning(ctx, changes);
    const toStart = await cliBox(ctx).services.notStarted(changes);
    ctx.report(
      { changes, kept: kept.map((k) => k.name), stillRunning: running, notStarted: toStart },
      shownHint(
        [
          changes.length === 0
            ? rest.length
              ? await alreadyInstalled(rest, () => packages.list())
              : ''
            : changes.map(installedLine).join('\n'),
          ...running.map(stillRunningLine),
          ...kept.map((k) => keptLine(k, { changed: changes.some((c) => c.name === k.name) })),
          ...toStart.map(notStartedLine),
        ]
          .filter(Boolean)
          .join('\n'),
      ),
    );
    finishedDespiteInterrupt(ctx);
  },
};

/** An install with nothing to do: which versions are there (apt: "is already the newest version"). */
async function alreadyInstalled(
  specs: string[],
  list: () => Promise<Array<{ name: string; version: string }>>,
): Promise<string> {
  const installed = await list();
  const there = specs
    .map((s) => installed.find((p) => p.name === s.split('@')[0]))
    .filter((p) => p !== undefined)
    .map((p) => `${p.name} ${p.version}`);
  return there.length
    ? `Nothing to do: ${there.join(', ')} ${there.length === 1 ? 'is' : 'are'} already installed.`
    : 'Nothing to do: already installed.';
}

const purge = { type: 'boolean', description: "Also delete the module's data (kept by default)" } as const;

export const remove: CommandSpec = {
  name: 'remove',
  summary: 'Remove installed packages (refuses to break a dependent unless --force)',
  args: 'NAME...',
  judgesEmptyArgs: true,
  options: {
    force: { type: 'boolean', description: 'Remove even if other packages depend on it' },
    purge,
    ...dryRunOptions('the removal'),
  },
  details:
    'With --purge, a package removed before without it has the data it kept deleted, and each module\nthat keeps data per consumer (vectors: rag\'s collections), installed or removed with its data kept, is\nasked to delete what the removed one made there, said per module (--json: purgeAsked).\nDependencies installed with a package stay; the ones nothing needs any more are named after the removal\n(--json: unneeded) and `bpkg autoremove` removes them, as apt does.\nA package that is not installed is noted ("Package \'NAME\' is not installed, so not removed"; --json:\nnotInstalled) and the others removed, exit 0, as apt: running it again is harmless. A name that is\nno package name is refused (exit 2). A module whose service was running has it stopped (its\ncontainer goes with the package), said under its line ("stopped the running service NAME";\n--json: that change\'s stopped: true). --dry-run (-s): what would be removed and the running services\nit would stop (--json: stops), or the dependents that block it (exit 5); nothing changed.',
  async run(ctx, parsed) {
    const packages = cliBox(ctx).packages;
    const opts = { force: optBool(parsed, 'force'), purge: optBool(parsed, 'purge') };
    if (isDryRun(parsed)) return showRemovalPlan(ctx, parsed.positionals, opts);
    let notInstalled: string[] = [];
    const changes = await packages.remove(parsed.positionals, {
      ...opts,
      notInstalled: (names) => {
        notInstalled = names;
        for (const n of names) ctx.warn(notInstalledLine(n));
      },
    });
    const unneeded = await packages.unneeded();
    ctx.report(
      { changes, notInstalled, unneeded },
      shownHint(
        [
          // No version: removed before, only its kept data deleted now.
          ...changes.map((c) =>
            c.from
              ? removedLine(c)
              : [
                  `deleted the data kept for ${c.name} (${c.purged})`,
                  ...purgeAskLines(c.name, c.purgeAsked),
                ].join('\n'),
          ),
          ...(unneeded.length ? [unneededLine(unneeded)] : []),
        ].join('\n'),
      ),
    );
    finishedDespiteInterrupt(ctx);
  },
};

export const autoremove: CommandSpec = {
  name: 'autoremove',
  summary: 'Remove the packages installed as dependencies that nothing needs any more',
  options: { ...dryRunOptions('autoremove'), purge },
  details:
    'A package installed because another needed it (bpkg list --json: auto) goes once nothing installed\ndepends on it; one you installed by name, then or later, never does. Module data is kept unless --purge.',
  async run(ctx, parsed) {
    const packages = cliBox(ctx).packages;
    if (isDryRun(parsed)) {
      const names = await packages.unneeded();
      return ctx.report(
        { unneeded: names, dryRun: true },
        names.length ? `Would remove ${names.join(', ')} (nothing was removed)` : NOTHING,
      );
    }
    const changes = await packages.autoremove({ purge: optBool(parsed, 'purge') });
    ctx.report({ changes }, changes.length ? shownHint(changes.map(removedLine).join('\n')) : NOTHING);
    finishedDespiteInterrupt(ctx);
  },
};

const NOTHING = 'Nothing to remove: every package installed as a dependency is still needed.';

/** After a removal: the dependencies it left that nothing needs (apt's "no longer required"). */
const unneededLine = (names: string[]): string =>
  `No longer needed (installed as dependencies): ${names.join(', ')}. \`bpkg autoremove\` removes them.`;

/** A running service whose container runs another version than the one now installed. */
interface StillRunning {
  name: string;
  running: string;
  installed: string;
}

/**
 * The services whose container still runs the version an upgrade, a downgrade or a rollback
 * replaced (the replaced one is kept for rollback, so nothing replaces the container): the next
 * start runs the installed one. A package without a service, or an engine that does not answer,
 * says nothing.
 */
async function stillRunning(
  ctx: Context,
  changes: { name: string; from?: string; to?: string }[],
): Promise<StillRunning[]> {
  const services = cliBox(ctx).services;
  const out: StillRunning[] = [];
  for (const c of changes) {
    if (!c.from || !c.to) continue;
    const st = await services.status(c.name).catch(() => undefined);
    if (st?.state === 'running' && st.containerVersion && st.containerVersion !== c.to)
      out.push({ name: c.name, running: st.containerVersion, installed: c.to });
  }
  return out;
}

const stillRunningLine = (s: StillRunning): string =>
  `${s.name} still runs ${s.running}: \`blueprint service restart ${s.name}\` starts ${s.installed}`;

export const upgrade: CommandSpec = {
  name: 'upgrade',
  summary: 'Install the newest version of every installed package (previous versions are kept for rollback)',
  options: {
    'dry-run': {
      type: 'boolean',
      short: 's',
      description:
        "List what would be upgraded (from -> to), the new packages it would install, what it holds back and who signed them (each package's signature alone is fetched; a refusal exits as the upgrade would); change nothing",
    },
    simulate: dryRunOptions('').simulate!,
  },
  details:
    'A newer version that would break what an installed package needs is held back (warned, under "Held back:" with --dry-run).\nA running service goes on running its old version until it starts again: each is named, with `blueprint service restart NAME`.\nWith --json: {"changes": [...], "heldBack": [...]}, heldBack as --dry-run\'s (docs/pkg-json.md).',
  async run(ctx, parsed) {
    if (isDryRun(parsed)) return showUpgradable(ctx, { plan: true });
    const packages = cliBox(ctx).packages;
    let held: HeldUpgrade[] = [];
    const changes = await packages.upgrade({ onHeld: (h) => (held = h) });
    const running = await stillRunning(ctx, changes);
    ctx.report(
      // A script is told what was held back as the dry run tells it (docs/pkg-json.md).
      { changes, heldBack: ctx.json ? held.map(heldBackJson) : held, stillRunning: running },
      changes.length
        ? // A package new to the box (a dependency the new version needs) was installed, not upgraded.
          shownHint([...changes.map(upgradedLine), ...running.map(stillRunningLine)].join('\n'))
        : // Newer versions may all be held back (warned above), which is not "up to date".
          nothingUpgradedLine(held.length),
    );
    finishedDespiteInterrupt(ctx);
  },
};

export const rollback: CommandSpec = {
  name: 'rollback',
  summary: 'Make the previous version of packages current again (swaps with the kept version)',
  args: 'NAME...',
  details:
    "Each package swaps to the other version kept on disk; the next `bpkg upgrade` goes forward again.\nRefused (exit 5) when it would break what an installed package needs: name the dependents too to roll them back together.\nA version is made current only if an install of the same bytes from where they came would be accepted today,\njudged by the signature kept with it: a key trusted now and bound to the version's repository (a package file's\nversion, or one of a repository removed since, may be signed by any trusted key; a model import's, by the box's own key).\nRefused (exit 4), the current version kept: a signer revoked (signer-revoked) or no longer trusted (untrusted-signer),\nanother repository's key (wrong-repository-key), a signature dated after its key expired (key-not-valid). A key expired\nsince is warned of, and the rollback goes ahead: the signature was made while the key was valid.",
  async run(ctx, parsed) {
    const names = requirePositionals(parsed, 1, 'a package NAME', 'bpkg rollback');
    const changes = await cliBox(ctx).packages.rollback(names);
    const running = await stillRunning(ctx, changes);
    ctx.report(
      names.length === 1 ? { ...changes[0], stillRunning: running } : { changes, stillRunning: running },
      shownHint(
        [
          [
            ...changes.map((c) => `rolled back ${c.name} ${c.from} -> ${c.to}`),
            // Each rollback swaps with the kept version: so does the next one.
            `(\`bpkg rollback ${changes.map((c) => c.name).join(' ')}\` swaps back)`,
          ].join(changes.length === 1 ? ' ' : '\n'),
          // The rolled-back version runs only from the service's next start, as an upgrade's.
          ...running.map(stillRunningLine),
        ].join('\n'),
      ),
    );
    finishedDespiteInterrupt(ctx);
  },
};
