import { readFile } from 'node:fs/promises';
import { ExitCode, UsageError } from '../../core/errors.js';
import type { VerifyReport } from '../../core/pkg/index.js';
import { escapeLine } from '../../present/escape.js';
import type { CommandGroup, CommandSpec } from '../command.js';
import { optBool, optString, requirePositionals } from '../command.js';
import { openPackageManager } from '../packages.js';
import { confirm } from '../prompt.js';

const table = (cells: string[][]): string => {
  // One cell, one line: a newline or escape in a summary must not fake or redraw a row.
  const rows = cells.map((r) => r.map(escapeLine));
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
};

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
    if (parsed.positionals.length === 0)
      throw new UsageError('Name at least one package', 'Example: bpkg install embeddings');
    const pm = await openPackageManager(ctx);
    const from = optString(parsed, 'from');
    const opts = { reinstall: optBool(parsed, 'reinstall'), ...(from !== undefined ? { from } : {}) };
    if (ctx.interactive && !ctx.yes && !ctx.json) {
      const plan = await pm.plan(parsed.positionals, opts);
      if (plan.length === 0) return ctx.result({ changes: [] }, 'Nothing to do: already installed.');
      ctx.info(
        table(
          plan.map((c) => [
            c.name,
            c.from ? `${c.from} -> ${c.to}` : `${c.to}`,
            c.repo,
            `${(c.size / 1024 / 1024).toFixed(1)} MB`,
          ]),
        ),
      );
      if (!(await confirm(ctx, 'Install these packages?'))) return ExitCode.failure;
    }
    const changes = await pm.install(parsed.positionals, opts);
    ctx.report(
      { changes },
      changes.length === 0
        ? 'Nothing to do: already installed.'
        : changes
            .map((c) => `installed ${c.name} ${c.to} from ${c.repo}${c.from ? ` (was ${c.from})` : ''}`)
            .join('\n'),
    );
  },
};

const remove: CommandSpec = {
  name: 'remove',
  summary: 'Remove installed packages (refuses to break a dependent unless --force)',
  args: 'NAME...',
  options: { force: { type: 'boolean', description: 'Remove even if other packages depend on it' } },
  async run(ctx, parsed) {
    if (parsed.positionals.length === 0)
      throw new UsageError('Name at least one package', 'Example: bpkg remove embeddings');
    const pm = await openPackageManager(ctx);
    if (!(await confirm(ctx, `Remove ${parsed.positionals.join(', ')}?`))) return ExitCode.failure;
    const changes = await pm.remove(parsed.positionals, { force: optBool(parsed, 'force') });
    ctx.report({ changes }, changes.map((c) => `removed ${c.name} ${c.from}`).join('\n'));
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'List installed packages',
  async run(ctx) {
    const pkgs = await (await openPackageManager(ctx)).installed();
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
  args: 'WORD',
  async run(ctx, parsed) {
    const hits = await (await openPackageManager(ctx)).search(parsed.positionals[0] ?? '');
    ctx.result(
      hits,
      hits.length
        ? table([
            ['NAME', 'VERSION', 'REPO', 'SUMMARY'],
            ...hits.map((h) => [
              h.name,
              h.version + (h.installed ? ` [installed ${h.installed}]` : ''),
              h.repo,
              h.summary,
            ]),
          ])
        : 'No matching packages (run `bpkg update` to refresh the indexes).',
    );
  },
};

const info: CommandSpec = {
  name: 'info',
  summary: 'Show a package: installed version, available versions, dependencies',
  args: 'NAME',
  async run(ctx, parsed) {
    const name = requirePositionals(parsed, 1, 'a package NAME', 'bpkg info')[0]!;
    const r = await (await openPackageManager(ctx)).info(name);
    const newest = r.available[0];
    const lines = [
      `Package: ${r.name}`,
      `Installed: ${r.installed ? `${r.installed.version} (from ${r.installed.origin}, signed by ${r.installed.signer})` : 'no'}`,
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
    'A repository whose new index fails verification keeps its previous verified index; the command then exits 4.',
  async run(ctx) {
    const outcomes = await (await openPackageManager(ctx)).update();
    // A refusal is an error: it is printed even with -q.
    (outcomes.every((o) => o.ok) ? ctx.report : ctx.result)(
      outcomes,
      outcomes
        .map((o) =>
          o.ok
            ? `${o.repo}: ${o.changed ? 'updated to' : 'unchanged at'} version ${o.version} (${o.packages} ${o.packages === 1 ? 'package' : 'packages'})${o.boundKey ? `; bound to key ${o.boundKey}, the only trusted key` : ''}${o.rotatedKey ? `; now trusts rotated key ${o.rotatedKey} for it` : ''}`
            : `${o.repo}: REFUSED: ${o.error?.message}${o.error?.hint ? `\n  hint: ${o.error.hint}` : ''}`,
        )
        .join('\n'),
    );
    return outcomes.every((o) => o.ok) ? ExitCode.ok : ExitCode.verification;
  },
};

const upgrade: CommandSpec = {
  name: 'upgrade',
  summary: 'Install the newest version of every installed package (previous versions are kept for rollback)',
  async run(ctx) {
    const pm = await openPackageManager(ctx);
    const ups = await pm.upgradable();
    if (ups.length && ctx.interactive && !ctx.json) {
      ctx.info(ups.map((u) => `${u.name} ${u.from} -> ${u.to} (from ${u.repo})`).join('\n'));
      if (!(await confirm(ctx, 'Upgrade these packages?'))) return ExitCode.failure;
    }
    const changes = await pm.upgrade();
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
    const changes = await (await openPackageManager(ctx)).rollbackAll(names);
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
    const reports = await (await openPackageManager(ctx)).verify(parsed.positionals[0]);
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
  },
  details:
    'URL: a folder (path or file:///…), or an HTTP(S)/S3-style static host. Run `bpkg update` after adding.\nA repository is signed only by its own keys (trust them first with `bpkg key add`): a key trusted for one repository signs nothing in another.\nA repository added without --key is bound at its first update if exactly one key is trusted; otherwise bind it with `repo set-key`.',
  async run(ctx, parsed) {
    const [action, name, url, ...more] = parsed.positionals;
    const pm = await openPackageManager(ctx);
    if (action === 'add' && name && url && more.length === 0) {
      const keys = (parsed.values.key as string[] | undefined) ?? [];
      const repository = optString(parsed, 'repository');
      const r = await pm.repos.add(name, url, { keys, ...(repository !== undefined ? { repository } : {}) });
      return ctx.report(
        r,
        `added repository ${r.name} (${r.url})${r.keys?.length ? `, signed by ${r.keys.join(', ')}` : ''}; run \`bpkg update\``,
      );
    }
    if (action === 'set-key' && name && url) {
      const r = await pm.repos.setKeys(name, [url, ...more]);
      return ctx.report(r, `repository ${r.name} is now signed by ${r.keys!.join(', ')} only`);
    }
    if (action === 'remove' && name) {
      await pm.repos.remove(name);
      return ctx.report({ removed: name }, `removed repository ${name}`);
    }
    if (action === 'list' || !action) {
      const repos = await pm.repos.list();
      const states = await pm.repos.states();
      const rows = repos.map((r) => {
        const s = states.find((x) => x.name === r.name);
        return {
          ...r,
          ...(s
            ? {
                version: s.index.version,
                expires: s.index.expires,
                signer: s.signer,
                packages: s.index.packages.length,
              }
            : {}),
        };
      });
      return ctx.result(
        rows,
        rows.length
          ? table([
              ['NAME', 'URL', 'INDEX', 'SIGNED BY'],
              ...rows.map((r) => [
                r.name,
                r.url,
                'version' in r
                  ? `v${r.version}, ${r.packages} ${r.packages === 1 ? 'package' : 'packages'}`
                  : 'not fetched',
                r.keys?.length ? r.keys.join(', ') : 'no key bound',
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

const key: CommandSpec = {
  name: 'key',
  summary: 'Manage trusted publisher keys: key add FILE [--fingerprint FPR] | key list | key remove FPR',
  args: 'add FILE | list | remove FINGERPRINT',
  options: {
    fingerprint: {
      type: 'string',
      value: 'FPR',
      description: 'Pin: add only if the key has this fingerprint (no prompt)',
    },
  },
  async run(ctx, parsed) {
    const [action, arg] = parsed.positionals;
    const pm = await openPackageManager(ctx);
    if (action === 'add' && arg) {
      const armored = await readFile(arg === '-' ? '/dev/stdin' : arg, 'utf8');
      const pin = optString(parsed, 'fingerprint');
      if (!pin) {
        const k = await pm.keyring.inspect(armored);
        ctx.info(
          `Key ${k.fingerprint}\n  ${k.userIds.map(escapeLine).join('\n  ')}\n  created ${k.created}${k.expires ? `, expires ${k.expires}` : ''}`,
        );
        if (!ctx.yes && !ctx.interactive)
          throw new UsageError(
            'Refusing to trust a key without its fingerprint',
            `Pass --fingerprint ${k.fingerprint} after checking it with the publisher (or --yes).`,
          );
        if (!(await confirm(ctx, 'Trust this key to sign packages for this box?'))) return ExitCode.failure;
      }
      const k = await pm.keyring.add(armored, pin);
      return ctx.report(k, `trusted ${k.fingerprint} (${k.userIds.map(escapeLine).join(', ')})`);
    }
    if (action === 'remove' && arg) {
      await pm.keyring.remove(arg);
      return ctx.report({ removed: arg }, `no longer trusting ${arg}`);
    }
    if (action === 'list' || !action) {
      const keys = await pm.keyring.list();
      return ctx.result(
        keys,
        keys.length
          ? keys
              .map(
                (k) =>
                  `${k.fingerprint}${k.revoked ? ' [REVOKED]' : ''}${k.expires ? ` (expires ${k.expires})` : ''}\n  ${k.userIds.map(escapeLine).join(', ')}`,
              )
              .join('\n')
          : 'No trusted keys.',
      );
    }
    throw new UsageError('Usage: key add FILE [--fingerprint FPR] | key list | key remove FINGERPRINT');
  },
};

const recover: CommandSpec = {
  name: 'recover',
  summary: 'Finish or roll back an interrupted transaction (every command also does this first)',
  async run(ctx) {
    const outcome = await (await openPackageManager(ctx)).recover();
    ctx.report(
      { outcome },
      outcome === 'none' ? 'No interrupted transaction.' : `Interrupted transaction ${outcome}.`,
    );
  },
};

export const pkgGroup: CommandGroup = {
  name: 'pkg',
  summary: 'bpkg: the BlueprintOS package manager. Every byte is OpenPGP-verified against trusted keys.',
  commands: [install, remove, list, search, info, update, upgrade, rollback, verify, repo, key, recover],
};
