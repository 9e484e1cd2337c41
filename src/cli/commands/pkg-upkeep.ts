/** `bpkg verify | recover | clean`: checking and tidying what is installed and kept. */
import { ExitCode, UsageError, type VerifyReport } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { shownHint } from '../../present/root-in-hints.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';
import { optBool } from '../command.js';

/** What fixes a failed verify: files come back by reinstalling, a dependency by installing it. */
function repairHint(r: VerifyReport): string {
  const deps = r.problems.filter((p) => p.problem === 'unsatisfied-dependency').map((p) => p.path);
  const revoked = r.problems.some((p) => p.problem === 'signer-revoked');
  const unrecorded = r.problems.some((p) => p.problem === 'signer-unrecorded');
  const untrusted = r.problems.some((p) => p.problem === 'signer-untrusted');
  const foreign = r.problems.some((p) => p.problem === 'signer-wrong-repository');
  const signer = revoked || unrecorded || untrusted || foreign ? 1 : 0;
  return [
    ...(r.problems.length > deps.length + signer
      ? [`\`bpkg install ${r.name} --reinstall\` restores its files`]
      : []),
    ...(revoked
      ? [
          `its signer's key is revoked here: install a version signed by a valid key (\`bpkg info ${r.name}\` lists them, \`bpkg install ${r.name}@VERSION\`) or remove it`,
        ]
      : []),
    ...(unrecorded
      ? [
          `an older blueprint installed it and did not record which of its signer's keys signed it, and one is revoked here: \`bpkg install ${r.name}@${r.version} --reinstall\` checks its signature again (refused if that key made it)`,
        ]
      : []),
    ...(untrusted
      ? [
          `this box no longer trusts the key that signed it (\`bpkg key remove\`): install a version signed by a trusted key (\`bpkg info ${r.name}\`, \`bpkg install ${r.name}@VERSION\`) or remove it`,
        ]
      : []),
    ...(foreign
      ? [
          `the key that signed it is not one trusted for the repository it came from (\`bpkg list\` names it): \`bpkg install ${r.name} --reinstall\` fetches it as that repository serves it now, signed by its own key`,
        ]
      : []),
    ...(deps.length
      ? [
          `it needs ${deps.join(', ')}: install a version that fits (\`bpkg install NAME@VERSION\`) or roll back`,
        ]
      : []),
  ].join('; ');
}

export const verify: CommandSpec = {
  name: 'verify',
  summary: 'Check installed files against the hashes recorded at install (like debsums)',
  args: '[NAME]',
  details:
    "Each installed version's signer is judged too, as `bpkg rollback` judges it today, by the signature kept with it:\na key revoked since (signer-revoked), no longer trusted (signer-untrusted), or not one of the keys of the repository\nthe version came from (signer-wrong-repository; a package file's version, or a removed repository's, may be signed\nby any trusted key) is a problem (exit 4). A key expired since is not: its signature was made while it was valid.",
  async run(ctx, parsed) {
    const reports = await cliBox(ctx).packages.verify(parsed.positionals[0]);
    ctx.result(
      reports,
      reports
        .map((r) =>
          r.ok
            ? `${r.name} ${r.version}: OK`
            : `${r.name} ${r.version}: FAILED\n${r.problems.map((p) => `  ${p.problem}: ${p.path}`).join('\n')}\n  hint: ${shownHint(repairHint(r))}`,
        )
        .join('\n') || 'No packages installed.',
    );
    return reports.every((r) => r.ok) ? ExitCode.ok : ExitCode.verification;
  },
};

export const recover: CommandSpec = {
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

export const clean: CommandSpec = {
  name: 'clean',
  summary: 'Free disk space: delete the downloaded package archives kept in the package cache',
  options: {
    'dry-run': {
      type: 'boolean',
      short: 's',
      description: 'List what would be removed and how many bytes; remove nothing',
    },
    // apt-get's name for it, as install, remove, upgrade and autoremove take it (pkg-dry-run.ts).
    simulate: { type: 'boolean', description: "The same as --dry-run (apt-get's name)" },
  },
  details:
    'Like apt clean: removes var/cache/blueprint/packages/*.bpkg (kept by `bpkg bundle` and some installs) and partial downloads.\nInstalled packages, their kept previous versions and module data are never touched; a later install downloads again.\nWith --dry-run the same list is printed (--json: removed, bytes, dryRun: true) and every file stays.',
  async run(ctx, parsed) {
    if (parsed.positionals.length > 0) throw new UsageError('bpkg clean takes no arguments');
    const dryRun = optBool(parsed, 'dry-run') || optBool(parsed, 'simulate');
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
