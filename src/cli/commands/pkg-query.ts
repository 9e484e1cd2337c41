/** `bpkg list | search | info | update`: what is installed and what the repositories offer. */
import { quickSearch } from '../../app/search.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { heldBackJson, heldBackLines } from '../../present/held-back.js';
import { reachLines, upgradePlanLines } from '../../present/install.js';
import { installedAs } from '../../present/packages.js';
import { infoJson, installedJson, newPackageJson, upgradableJson } from '../../present/pkg-json-query.js';
import { shownHint } from '../../present/root-in-hints.js';
import { table } from '../../present/table.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';
import { optBool, requirePositionals } from '../command.js';
import { type Context, sayIfSlow } from '../context.js';
import { signedLine } from './pkg-dry-run.js';
import { showHits, showUpdate, UPDATE_WAIT } from './pkg-quick.js';

/** A row's note: what the new version needs that is not installed (the upgrade installs it). */
const newDependencyNote = (names: string[]) =>
  `new ${names.length === 1 ? 'dependency' : 'dependencies'}: ${names.join(', ')}`;

/**
 * `upgrade --dry-run` (`plan`), `list --upgradable`: what `bpkg upgrade` would install, nothing
 * changed. The dry run plans as the upgrade does and names each package new to the box in the
 * words of the plan it asks about; the list plans nothing (it stays quick over large indexes): a
 * row names the packages its new version needs that are not installed, and the dry run says the rest.
 * Both list what the upgrade holds back, in the words of its warning. The dry run also fetches each
 * package's own signature (not the package) and refuses as the upgrade would (plan-signers.ts).
 */
export async function showUpgradable(ctx: Context, opts: { plan?: boolean } = {}): Promise<void> {
  const packages = cliBox(ctx).packages;
  // The dry run's plan comes from the same look as its list; list --upgradable makes none.
  const {
    upgradable,
    held,
    changes: plan,
  } = opts.plan
    ? await packages.upgradePlan({ signers: true })
    : { ...(await packages.upgradeOutlook()), changes: [] };
  // Who signed each package is said in words; --json keeps its shape (docs/pkg-json.md).
  const added = plan.filter((c) => !c.from).map(({ signer: _, ...c }) => c);
  const s = (n: number) => (n === 1 ? '' : 's');
  ctx.result(
    {
      // A plan says so, as every other dry run's document does; the list plans nothing.
      ...(opts.plan ? { dryRun: true } : {}),
      upgradable: ctx.json ? upgradable.map(upgradableJson) : upgradable,
      ...(opts.plan ? { newPackages: ctx.json ? added.map(newPackageJson) : added } : {}),
      heldBack: ctx.json ? held.map(heldBackJson) : held,
    },
    upgradable.length
      ? [
          shownHint(
            `${upgradable.length} package${s(upgradable.length)} can be upgraded (\`bpkg upgrade\`):`,
          ),
          table(
            upgradable.map((u) => [
              `  ${u.name}`,
              `${u.from} -> ${u.to}`,
              `(${u.repo})`,
              ...(u.newDependencies ? [newDependencyNote(u.newDependencies)] : []),
            ]),
          ),
          ...(added.length
            ? [
                `The upgrade also installs ${added.length} new package${s(added.length)}:`,
                ...upgradePlanLines(added.map(({ reaches: _, ...c }) => c)).map((l) => `  ${l}`),
              ]
            : []),
          // What each module reaches is part of what the upgrade asks about (cli/box.ts).
          ...reachLines(plan),
          ...signedLine(plan),
          ...heldBackLines(held),
          ...(!opts.plan && upgradable.some((u) => u.newDependencies)
            ? [shownHint('`bpkg upgrade --dry-run` names every package the upgrade would install.')]
            : []),
        ].join('\n')
      : // Newer versions exist, all held back: not "up to date" (apt: "kept back").
        held.length
        ? ['Nothing can be upgraded now.', ...heldBackLines(held)].join('\n')
        : // Judged against the indexes kept: nothing here fetches them (apt list --upgradable alike).
          shownHint(
            'Everything is up to date as of the indexes last fetched (`bpkg update` fetches them again).',
          ),
  );
}

export const list: CommandSpec = {
  name: 'list',
  summary: 'List installed packages',
  options: {
    upgradable: {
      type: 'boolean',
      description:
        'Only those a newer version is offered for (as apt list --upgradable), and the newer versions `bpkg upgrade` holds back',
    },
  },
  async run(ctx, parsed) {
    if (optBool(parsed, 'upgradable')) return showUpgradable(ctx);
    const pkgs = await cliBox(ctx).packages.list();
    ctx.result(
      ctx.json ? pkgs.map(installedJson) : pkgs,
      pkgs.length
        ? table([
            // INSTALLED AS as `bpkg info` says it (apt list's `automatic`); empty for one asked for by name.
            ['NAME', 'VERSION', 'ORIGIN', 'INSTALLED AS', 'SUMMARY'],
            ...pkgs.map((p) => [p.name, p.version, p.origin, installedAs(p), p.summary]),
          ])
        : 'No packages installed.',
    );
  },
};

export const search: CommandSpec = {
  name: 'search',
  summary: 'Search the verified indexes by name or summary',
  args: '[WORD]',
  judgesEmptyArgs: true,
  // Kept, unlike apt's refusal: bpkg list lists what is installed, so this is the catalog's one list.
  details: 'With no WORD, every package offered.',
  async run(ctx, parsed) {
    const word = parsed.positionals[0] ?? '';
    // The sealed search tables first (src/app/search.ts); the package manager when they cannot answer.
    await showHits(ctx, (await quickSearch(ctx.root, word)) ?? (await cliBox(ctx).packages.search(word)));
  },
};

export const info: CommandSpec = {
  name: 'info',
  summary: 'Show a package: installed version, available versions, dependencies',
  args: 'NAME',
  judgesEmptyArgs: true,
  async run(ctx, parsed) {
    const name = requirePositionals(parsed, 1, 'a package NAME', 'bpkg info')[0]!;
    const box = cliBox(ctx);
    const r = await box.packages.info(name);
    const newest = r.available[0];
    // An origin that is no repository any more (`repo remove`): upgrades skip the package.
    const gone =
      r.upgradesFrom !== undefined &&
      !['file', 'local'].includes(r.upgradesFrom) &&
      !(await box.repos.list()).some((x) => x.name === r.upgradesFrom);
    const lines = [
      `Package: ${r.name}`,
      `Installed: ${r.installed ? `${r.installed.version} (from ${r.installed.origin}, signed by ${showFingerprint(r.installed.signer)})` : 'no'}`,
      // Came in for another package (apt show's APT-Manual-Installed: no): autoremove may take it.
      ...(r.installed?.auto
        ? ['Installed as: a dependency (`bpkg autoremove` removes it once nothing installed needs it)']
        : []),
      ...(r.installed?.previous ? [`Rollback to: ${r.installed.previous}`] : []),
      ...(r.installed
        ? [
            `Upgrades from: ${r.upgradesFrom ?? `unknown (choose: \`bpkg install ${r.name} --from REPO\`)`}${r.upgradesFrom === 'file' ? ' (a local file: not upgraded from repositories)' : ''}${gone ? ` (not configured: not upgraded; \`bpkg repo add ${r.upgradesFrom} URL\` adds it again, \`bpkg install ${r.name} --from REPO\` takes it from another)` : ''}`,
          ]
        : []),
      `Available: ${r.available.map((a) => `${a.version} (${a.repo})`).join(', ') || 'none'}`,
      ...(newest
        ? [
            `Summary: ${newest.summary}`,
            `Depends: ${newest.depends.join('; ') || 'none'}`,
            `Size: ${bytes(newest.size)}`,
            `SHA-256: ${newest.sha256}`,
          ]
        : []),
    ];
    ctx.result(ctx.json ? infoJson(r) : r, shownHint(lines.join('\n')));
  },
};

export const update: CommandSpec = {
  name: 'update',
  summary: 'Fetch and verify the signed index of every repository',
  details:
    'A repository whose new index fails verification keeps its previous verified index; the command then exits 4.\nOne that cannot be reached (down, or its folder not there) keeps it too: "not updated", exit 1 unless another was refused.\nOne whose index this box cannot keep (the disk full, its kept index damaged): "not updated", exit 7.',
  async run(ctx) {
    return showUpdate(ctx, await sayIfSlow(ctx, UPDATE_WAIT, cliBox(ctx).packages.update()));
  },
};
