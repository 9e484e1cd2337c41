import { ExitCode, UsageError, type VerifyReport } from '../../app/index.js';
import { quickSearch } from '../../app/search.js';
import { escapeLine } from '../../present/escape.js';
import { showFingerprint, showFingerprints } from '../../present/fingerprint.js';
import { installedLine } from '../../present/install.js';
import { packageCount, removedLine } from '../../present/packages.js';
import { table } from '../../present/table.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import type { CommandGroup, CommandSpec } from '../command.js';
import { optBool, optString, requirePositionals } from '../command.js';
import { type Context, sayIfSlow } from '../context.js';
import { key } from './pkg-key.js';
import { showHits, showUpdate, UPDATE_WAIT } from './pkg-quick.js';

const install: CommandSpec = {
  name: 'install',
  summary: 'Install packages from the repositories, or local ./NAME.bpkg files (with .asc beside)',
  args: 'NAME[@VERSION]... | FILE.bpkg...',
  options: {
    reinstall: { type: 'boolean', description: 'Install again even if this version is installed' },
    from: {
      type: 'string',
      value: 'REPO',
      description: 'Take the named packages from this repository; upgrades follow it from now on',
    },
  },
  details:
    'Every package is checked against the signed index (size, SHA-256) and its own signature before anything is unpacked.\nAn installed package is upgraded only from the repository it came from (see `bpkg list`); --from switches it on purpose.\nA new dependency comes from the repository of the package that needs it when that one has a fitting version.',
  async run(ctx, parsed) {
    const from = optString(parsed, 'from');
    const changes = await cliBox(ctx).packages.install(parsed.positionals, {
      reinstall: optBool(parsed, 'reinstall'),
      ...(from !== undefined ? { from } : {}),
    });
    ctx.report(
      { changes },
      changes.length === 0 ? 'Nothing to do: already installed.' : changes.map(installedLine).join('\n'),
    );
  },
};

const purge = { type: 'boolean', description: "Also delete the module's data (kept by default)" } as const;

const remove: CommandSpec = {
  name: 'remove',
  summary: 'Remove installed packages (refuses to break a dependent unless --force)',
  args: 'NAME...',
  options: {
    force: { type: 'boolean', description: 'Remove even if other packages depend on it' },
    purge,
  },
  details:
    'With --purge, a package removed before without it has the data it kept deleted.\nDependencies installed with a package stay; the ones nothing needs any more are named after the removal\n(--json: unneeded) and `bpkg autoremove` removes them, as apt does.',
  async run(ctx, parsed) {
    const packages = cliBox(ctx).packages;
    const changes = await packages.remove(parsed.positionals, {
      force: optBool(parsed, 'force'),
      purge: optBool(parsed, 'purge'),
    });
    const unneeded = await packages.unneeded();
    ctx.report(
      { changes, unneeded },
      [
        // No version: removed before, only its kept data deleted now.
        ...changes.map((c) =>
          c.from ? removedLine(c) : `deleted the data kept for ${c.name} (${c.purged})`,
        ),
        ...(unneeded.length ? [unneededLine(unneeded)] : []),
      ].join('\n'),
    );
  },
};

const autoremove: CommandSpec = {
  name: 'autoremove',
  summary: 'Remove the packages installed as dependencies that nothing needs any more',
  options: {
    'dry-run': { type: 'boolean', description: 'Name them; remove nothing' },
    purge,
  },
  details:
    'A package installed because another needed it (bpkg list --json: auto) goes once nothing installed\ndepends on it; one you installed by name, then or later, never does. Module data is kept unless --purge.',
  async run(ctx, parsed) {
    const packages = cliBox(ctx).packages;
    if (optBool(parsed, 'dry-run')) {
      const names = await packages.unneeded();
      return ctx.report(
        { unneeded: names, dryRun: true },
        names.length ? `Would remove ${names.join(', ')} (nothing was removed)` : NOTHING,
      );
    }
    const changes = await packages.autoremove({ purge: optBool(parsed, 'purge') });
    ctx.report({ changes }, changes.length ? changes.map(removedLine).join('\n') : NOTHING);
  },
};

const NOTHING = 'Nothing to remove: every package installed as a dependency is still needed.';

/** After a removal: the dependencies it left that nothing needs (apt's "no longer required"). */
const unneededLine = (names: string[]): string =>
  `No longer needed (installed as dependencies): ${names.join(', ')}. \`bpkg autoremove\` removes them.`;

/** `upgrade --dry-run`, `list --upgradable`: what `bpkg upgrade` would install, nothing changed. */
async function showUpgradable(ctx: Context): Promise<void> {
  const upgradable = await cliBox(ctx).packages.upgradable();
  ctx.result(
    { upgradable },
    upgradable.length
      ? [
          `${upgradable.length} package${upgradable.length === 1 ? '' : 's'} can be upgraded (\`bpkg upgrade\`):`,
          table(upgradable.map((u) => [`  ${u.name}`, `${u.from} -> ${u.to}`, `(${u.repo})`])),
        ].join('\n')
      : 'Everything is up to date.',
  );
}

const list: CommandSpec = {
  name: 'list',
  summary: 'List installed packages',
  options: {
    upgradable: {
      type: 'boolean',
      description: 'Only those a newer version is offered for (as apt list --upgradable)',
    },
  },
  async run(ctx, parsed) {
    if (optBool(parsed, 'upgradable')) return showUpgradable(ctx);
    const pkgs = await cliBox(ctx).packages.list();
    ctx.result(
      pkgs,
      pkgs.length
        ? table([
            ['NAME', 'VERSION', 'ORIGIN', 'SUMMARY'],
            ...pkgs.map((p) => [p.name, p.version, p.origin, p.summary]),
          ])
        : 'No packages installed.',
    );
  },
};

const search: CommandSpec = {
  name: 'search',
  summary: 'Search the verified indexes by name or summary',
  args: '[WORD]',
  // Kept, unlike apt's refusal: bpkg list lists what is installed, so this is the catalog's one list.
  details: 'With no WORD, every package offered.',
  async run(ctx, parsed) {
    const word = parsed.positionals[0] ?? '';
    // The sealed search tables first (src/app/search.ts); the package manager when they cannot answer.
    showHits(ctx, (await quickSearch(ctx.root, word)) ?? (await cliBox(ctx).packages.search(word)));
  },
};

const info: CommandSpec = {
  name: 'info',
  summary: 'Show a package: installed version, available versions, dependencies',
  args: 'NAME',
  async run(ctx, parsed) {
    const name = requirePositionals(parsed, 1, 'a package NAME', 'bpkg info')[0]!;
    const r = await cliBox(ctx).packages.info(name);
    const newest = r.available[0];
    const lines = [
      `Package: ${r.name}`,
      `Installed: ${r.installed ? `${r.installed.version} (from ${r.installed.origin}, signed by ${showFingerprint(r.installed.signer)})` : 'no'}`,
      ...(r.installed?.previous ? [`Rollback to: ${r.installed.previous}`] : []),
      ...(r.installed
        ? [
            `Upgrades from: ${r.upgradesFrom ?? `unknown (choose: bpkg install ${r.name} --from REPO)`}${r.upgradesFrom === 'file' ? ' (a local file: not upgraded from repositories)' : ''}`,
          ]
        : []),
      `Available: ${r.available.map((a) => `${a.version} (${a.repo})`).join(', ') || 'none'}`,
      ...(newest
        ? [
            `Summary: ${newest.summary}`,
            `Depends: ${newest.depends.join('; ') || 'none'}`,
            `Size: ${newest.size} bytes`,
            `SHA-256: ${newest.sha256}`,
          ]
        : []),
    ];
    ctx.result(r, lines.join('\n'));
  },
};

const update: CommandSpec = {
  name: 'update',
  summary: 'Fetch and verify the signed index of every repository',
  details:
    'A repository whose new index fails verification keeps its previous verified index; the command then exits 4.\nOne that cannot be reached (down, or its folder not there) keeps it too: "not updated", exit 1 unless another was refused.',
  async run(ctx) {
    return showUpdate(ctx, await sayIfSlow(ctx, UPDATE_WAIT, cliBox(ctx).packages.update()));
  },
};

const upgrade: CommandSpec = {
  name: 'upgrade',
  summary: 'Install the newest version of every installed package (previous versions are kept for rollback)',
  options: {
    'dry-run': { type: 'boolean', description: 'List what would be upgraded (from -> to); change nothing' },
  },
  async run(ctx, parsed) {
    if (optBool(parsed, 'dry-run')) return showUpgradable(ctx);
    const changes = await cliBox(ctx).packages.upgrade();
    ctx.report(
      { changes },
      changes.length
        ? changes.map((c) => `upgraded ${c.name} ${c.from} -> ${c.to}`).join('\n')
        : 'Everything is up to date.',
    );
  },
};

const rollback: CommandSpec = {
  name: 'rollback',
  summary: 'Make the previous version of packages current again (swaps with the kept version)',
  args: 'NAME...',
  details:
    'Each package swaps to the other version kept on disk; the next `bpkg upgrade` goes forward again.\nRefused (exit 5) when it would break what an installed package needs: name the dependents too to roll them back together.',
  async run(ctx, parsed) {
    const names = requirePositionals(parsed, 1, 'a package NAME', 'bpkg rollback');
    const changes = await cliBox(ctx).packages.rollback(names);
    ctx.report(
      names.length === 1 ? changes[0] : { changes },
      changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`).join('\n'),
    );
  },
};

/** What fixes a failed verify: files come back by reinstalling, a dependency by installing it. */
function repairHint(r: VerifyReport): string {
  const deps = r.problems.filter((p) => p.problem === 'unsatisfied-dependency').map((p) => p.path);
  return [
    ...(r.problems.length > deps.length ? [`bpkg install ${r.name} --reinstall restores its files`] : []),
    ...(deps.length
      ? [`it needs ${deps.join(', ')}: install a version that fits (bpkg install NAME@VERSION) or roll back`]
      : []),
  ].join('; ');
}

const verify: CommandSpec = {
  name: 'verify',
  summary: 'Check installed files against the hashes recorded at install (like debsums)',
  args: '[NAME]',
  async run(ctx, parsed) {
    const reports = await cliBox(ctx).packages.verify(parsed.positionals[0]);
    ctx.result(
      reports,
      reports
        .map((r) =>
          r.ok
            ? `${r.name} ${r.version}: OK`
            : `${r.name} ${r.version}: FAILED\n${r.problems.map((p) => `  ${p.problem}: ${p.path}`).join('\n')}\n  hint: ${repairHint(r)}`,
        )
        .join('\n') || 'No packages installed.',
    );
    return reports.every((r) => r.ok) ? ExitCode.ok : ExitCode.verification;
  },
};

const bundle: CommandSpec = {
  name: 'bundle',
  summary:
    'Write packages with their dependencies, signatures and the signed index to a folder (a USB stick)',
  args: 'NAME...',
  options: { out: { type: 'string', value: 'DIR', description: 'New or empty folder to write (required)' } },
  details:
    'For a box with no network: OUT/REPO holds the publisher-signed index, the packages and their own signatures, and the publisher key.\nOn that box: bpkg key add OUT/REPO/keys/FPR.pub.asc --fingerprint FPR; bpkg repo add usb OUT/REPO --key FPR; bpkg update; bpkg install NAME.',
  async run(ctx, parsed) {
    const out = optString(parsed, 'out');
    if (!out || parsed.positionals.length === 0) throw new UsageError('Usage: bpkg bundle NAME... --out DIR');
    const r = await cliBox(ctx).packages.bundle(parsed.positionals, out);
    ctx.report(
      r,
      r.repositories
        .map((x) => `${x.dir}: ${x.packages.join(', ')} (signed by ${showFingerprints(x.keys)})`)
        .join('\n'),
    );
  },
};

const repo: CommandSpec = {
  name: 'repo',
  summary:
    'Manage repositories: repo add NAME URL --key FPR | repo set-key NAME FPR... | repo list | repo remove NAME',
  args: 'add NAME URL | set-key NAME FPR... | list | remove NAME',
  options: {
    key: {
      type: 'string',
      multiple: true,
      value: 'FPR',
      description: 'repo add: the trusted key that signs this repository (repeat for several)',
    },
    repository: {
      type: 'string',
      value: 'NAME',
      description: 'repo add: the name its index must carry (default: the name in its first index)',
    },
    mirror: {
      type: 'string',
      multiple: true,
      value: 'URL',
      description: 'repo add: another URL serving the same repository (repeat for several)',
    },
  },
  details:
    'URL: a folder (path or file:///…), an HTTP(S) host, oci://REGISTRY/NAME[:TAG] or s3://BUCKET/PREFIX. Run `bpkg update` after adding.\nMirrors: every URL is tried at each update and the newest index that verifies wins; a mirror that is down, stale or serving garbage is skipped with a warning.\nA repository is signed only by its own keys (trust them first with `bpkg key add`): a key trusted for one repository signs nothing in another.\nA repository added without --key is bound at its first update if exactly one key is trusted; otherwise bind it with `repo set-key`.',
  async run(ctx, parsed) {
    const [action, name, url, ...more] = parsed.positionals;
    const repos = cliBox(ctx).repos;
    if (action === 'add' && name && url && more.length === 0) {
      const keys = (parsed.values.key as string[] | undefined) ?? [];
      const repository = optString(parsed, 'repository');
      const mirrors = (parsed.values.mirror as string[] | undefined) ?? [];
      const r = await repos.add(name, url, {
        keys,
        mirrors,
        ...(repository !== undefined ? { repository } : {}),
      });
      return ctx.report(
        r,
        `added repository ${r.name} (${r.url})${r.keys?.length ? `, signed by ${showFingerprints(r.keys)}` : ''}; run \`bpkg update\``,
      );
    }
    if (action === 'set-key' && name && url) {
      const r = await repos.setKeys(name, [url, ...more]);
      return ctx.report(r, `repository ${r.name} is now signed by ${showFingerprints(r.keys!)} only`);
    }
    if (action === 'remove' && name) {
      await repos.remove(name);
      return ctx.report({ removed: name }, `removed repository ${name}`);
    }
    if (action === 'list' || !action) {
      const rows = await repos.list();
      return ctx.result(
        rows,
        rows.length
          ? table([
              ['NAME', 'URL', 'INDEX', 'SIGNED BY'],
              ...rows.map((r) => [
                r.name,
                [r.url, ...(r.mirrors ?? [])].join(' '),
                r.version !== undefined ? `v${r.version}, ${packageCount(r.packages ?? 0)}` : 'not fetched',
                r.keys?.length ? showFingerprints(r.keys) : 'no key bound',
              ]),
            ])
          : 'No repositories. Add one: bpkg repo add NAME URL --key FPR',
      );
    }
    throw new UsageError(
      'Usage: repo add NAME URL --key FPR | repo set-key NAME FPR... | repo list | repo remove NAME',
    );
  },
};

const recover: CommandSpec = {
  name: 'recover',
  summary: 'Finish or roll back an interrupted transaction (every command also does this first)',
  async run(ctx) {
    const outcome = await cliBox(ctx).packages.recover();
    ctx.report(
      { outcome },
      outcome === 'none' ? 'No interrupted transaction.' : `Interrupted transaction ${outcome}.`,
    );
  },
};

const clean: CommandSpec = {
  name: 'clean',
  summary: 'Free disk space: delete the downloaded package archives kept in the package cache',
  options: {
    'dry-run': {
      type: 'boolean',
      description: 'List what would be removed and how many bytes; remove nothing',
    },
  },
  details:
    'Like apt clean: removes var/cache/blueprint/packages/*.bpkg (kept by `bpkg bundle` and some installs) and partial downloads.\nInstalled packages, their kept previous versions and module data are never touched; a later install downloads again.\nWith --dry-run the same list is printed (--json: removed, bytes, dryRun: true) and every file stays.',
  async run(ctx, parsed) {
    if (parsed.positionals.length > 0) throw new UsageError('bpkg clean takes no arguments');
    const dryRun = optBool(parsed, 'dry-run');
    const r = await cliBox(ctx).packages.clean({ dryRun });
    const n = `${r.removed.length} file${r.removed.length === 1 ? '' : 's'}`;
    ctx.report(
      r,
      r.removed.length === 0
        ? 'Nothing to clean: the package cache holds no downloaded archives.'
        : [
            dryRun
              ? `Would remove ${n} from the package cache, freeing ${bytes(r.bytes)} (nothing was removed):`
              : `Removed ${n} from the package cache, freeing ${bytes(r.bytes)}:`,
            ...r.removed.map((f) => `  ${escapeLine(f.name)}  ${bytes(f.bytes)}`),
          ].join('\n'),
    );
  },
};

export const pkgGroup: CommandGroup = {
  name: 'pkg',
  summary: 'bpkg: the BlueprintOS package manager. Every byte is OpenPGP-verified against trusted keys.',
  commands: [
    install,
    remove,
    autoremove,
    list,
    search,
    info,
    update,
    upgrade,
    rollback,
    verify,
    bundle,
    repo,
    key,
    recover,
    clean,
  ],
};
