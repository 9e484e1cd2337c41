/**
 * `bpkg install --dry-run` and `bpkg remove --dry-run` (apt-get's --simulate, -s): the plan the
 * command would carry out, printed; nothing on the box changed (no lock, no cache, no download).
 */

import type { KeptPackage } from '../../app/index.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { keptLine, planLines } from '../../present/install.js';
import { wouldAskLines } from '../../present/packages.js';
import { shownHint } from '../../present/root-in-hints.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import type { OptionSpec, Parsed } from '../command.js';
import { optBool } from '../command.js';
import type { Context } from '../context.js';

/** The options that ask for a dry run: --dry-run, -s, and apt-get's long name --simulate. */
export const dryRunOptions = (what: string): Record<string, OptionSpec> => ({
  'dry-run': { type: 'boolean', short: 's', description: `Show what ${what} would do; change nothing` },
  simulate: { type: 'boolean', description: "The same as --dry-run (apt-get's name)" },
});

export const isDryRun = (parsed: Parsed): boolean =>
  optBool(parsed, 'dry-run') || optBool(parsed, 'simulate');

/** A list said in words: `a`, `a and b`, `a, b and c`. */
const inWords = (parts: string[]) =>
  parts.length < 2 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;

/** apt's "Package 'B' is not installed, so not removed": the removal goes on without it. */
export const notInstalledLine = (name: string) => `Package '${name}' is not installed, so not removed`;

/** Whose keys signed the plan's packages from repositories (their signatures checked, not yet their bytes). */
export function signedLine(changes: Array<{ signer?: string }>): string[] {
  const keys = [...new Set(changes.flatMap((c) => (c.signer ? [showFingerprint(c.signer)] : [])))];
  return keys.length
    ? [
        `Signed by trusted key${keys.length === 1 ? '' : 's'} ${keys.join(', ')} (the install verifies each package's bytes).`,
      ]
    : [];
}

/** The packages named (NAME[@VERSION]) that are not among those marked kept: what else is said of them. */
export function notKept(specs: string[], kept: KeptPackage[]): string[] {
  const keptNames = new Set(kept.map((k) => k.name));
  return specs.filter((s) => !keptNames.has(s.split('@')[0]!));
}

const keptLines = (kept: KeptPackage[], changes: Array<{ name: string }>) =>
  kept.map((k) => keptLine(k, { dryRun: true, changed: changes.some((c) => c.name === k.name) }));

export async function showInstallPlan(
  ctx: Context,
  specs: string[],
  opts: { reinstall: boolean; from?: string },
  /** What is said of the packages named that are installed already and change in no way. */
  nothingToDo: (specs: string[]) => Promise<string>,
): Promise<void> {
  const packages = cliBox(ctx).packages;
  // A package named that came in as a dependency would be marked as the admin's: said, not done.
  let kept: KeptPackage[] = [];
  const changes = await packages.plan(specs, {
    kept: (k) => {
      kept = k;
    },
    signers: true,
    typed: true,
    ...(opts.reinstall ? { reinstall: true } : {}),
    ...(opts.from !== undefined ? { from: opts.from } : {}),
  });
  // A package file given is read from here, not downloaded.
  const downloadSize = changes.filter((c) => c.file === undefined).reduce((n, c) => n + c.size, 0);
  const count = (pick: (c: (typeof changes)[number]) => boolean) => changes.filter(pick).length;
  const s = (n: number) => (n === 1 ? '' : 's');
  const added = count((c) => !c.from);
  const upgraded = count((c) => !!c.from && c.from !== c.to && !c.downgrade);
  const downgraded = count((c) => !!c.downgrade);
  const again = count((c) => !!c.from && c.from === c.to);
  const parts = [
    ...(added ? [`install ${added} package${s(added)}`] : []),
    ...(upgraded ? [`upgrade ${upgraded}`] : []),
    ...(downgraded ? [`downgrade ${downgraded}`] : []),
    ...(again ? [`reinstall ${again}`] : []),
  ];
  // Named, installed already and not to be marked: said as the install says them.
  const rest = notKept(specs, kept);
  ctx.report(
    {
      dryRun: true,
      changes: changes.map((c) => ({ ...c, repository: c.repo })),
      downloadSize,
      kept: kept.map((k) => k.name),
    },
    changes.length
      ? shownHint(
          [
            ...planLines(changes),
            ...signedLine(changes),
            ...keptLines(kept, changes),
            `Would ${inWords(parts)} (${downloadSize ? `download ${bytes(downloadSize)}` : 'nothing to download'}); nothing was changed (--dry-run).`,
          ].join('\n'),
        )
      : kept.length
        ? shownHint(
            [
              ...keptLines(kept, changes),
              ...(rest.length ? [await nothingToDo(rest)] : []),
              'Nothing was changed (--dry-run).',
            ].join('\n'),
          )
        : await nothingToDo(specs),
  );
}

/** A removal plan's first line: the versions it would remove (bpkg remove -s, model rm -s). */
export const wouldRemoveLine = (removed: Array<{ name: string; from?: string }>): string =>
  removed.length
    ? `Would remove ${removed.map((c) => `${c.name} ${c.from}`).join(', ')}; nothing was changed (--dry-run).`
    : 'Nothing would be removed (--dry-run).';

export async function showRemovalPlan(
  ctx: Context,
  names: string[],
  opts: { force: boolean; purge: boolean },
): Promise<void> {
  const plan = await cliBox(ctx).packages.removalPlan(names, opts);
  for (const n of plan.notInstalled) ctx.warn(notInstalledLine(n));
  const removed = plan.changes.filter((c) => c.from);
  ctx.report(
    { dryRun: true, ...plan },
    shownHint(
      [
        wouldRemoveLine(removed),
        ...plan.changes.map((c) =>
          c.purged
            ? `  would delete the data of ${c.name} (${c.purged})`
            : c.dataKept
              ? `  the data of ${c.name} would be kept (${c.dataKept})`
              : '',
        ),
        ...plan.changes.flatMap((c) => wouldAskLines(c.name, c.wouldAsk, c.wouldAskKept)),
        ...(plan.stops.length
          ? [
              `It would stop the running service${plan.stops.length === 1 ? '' : 's'} ${inWords(plan.stops)} (${plan.stops.length === 1 ? 'its container goes' : 'their containers go'} with the package${plan.stops.length === 1 ? '' : 's'}).`,
            ]
          : []),
        ...(plan.unneeded.length
          ? [
              `It would leave unneeded (installed as dependencies): ${plan.unneeded.join(', ')}; \`bpkg autoremove\` removes them after.`,
            ]
          : []),
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  );
}
