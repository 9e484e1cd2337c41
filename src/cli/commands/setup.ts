import { ExitCode, UsageError } from '../../core/errors.js';
import { changesJson, formatChange, formatChanges } from '../../core/setup/format.js';
import { applyPlan, type LoadedSpec, loadAnswersFile, planSetup } from '../../core/setup/index.js';
import { moduleOpsFor } from '../../core/setup/wire.js';
import { type CommandSpec, optBool, optString } from '../command.js';
import type { Context } from '../context.js';

/** Plans, then applies (or only prints with --dry-run) a loaded spec. Shared by setup and apply. */
export async function runSpec(ctx: Context, loaded: LoadedSpec, dryRun: boolean): Promise<number> {
  const ops = await moduleOpsFor(ctx.root);
  const plan = await planSetup(ctx.root, loaded.spec, loaded.repositories, ops);
  if (dryRun) {
    ctx.result(
      { dryRun: true, root: ctx.root, changes: changesJson(plan.changes), blocked: plan.blocked },
      [formatChanges(plan.changes), ...plan.blocked.map((b) => `blocked: ${b}`)].join('\n'),
    );
    return plan.blocked.length ? ExitCode.failure : ExitCode.ok;
  }
  const result = await applyPlan(plan, {
    ...(ops ? { ops } : {}),
    signal: ctx.signal,
    onChange: (c) => ctx.info(formatChange(c)),
  });
  ctx.result(
    { root: ctx.root, changed: changesJson(result.changed), commands: result.commands },
    result.changed.length
      ? `${result.changed.length} change(s) applied to ${ctx.root}.${
          plan.root !== '/' ? ' Services pick them up at the next boot of that root.' : ''
        }`
      : 'Nothing to change: the box already matches.',
  );
  return ExitCode.ok;
}

export const setupCommand: CommandSpec = {
  name: 'setup',
  summary: 'First-boot setup: host name, time zone, admin and SSH key, SSH, firewall, repository, modules',
  options: {
    answers: { type: 'string', value: 'FILE', description: 'Answers as YAML or JSON: no prompts' },
    'dry-run': { type: 'boolean', description: 'Print what would change; write nothing' },
  },
  details: `On a terminal with no --answers, opens the interactive wizard.
Answers file (YAML or JSON):
  hostname: box-01
  timezone: Europe/Paris
  admin: { name: admin, keys: ["ssh-ed25519 AAAA... me@laptop"] }
  ssh: { enabled: true }                      # off by default; key-only, no root login
  repository: { name: main, url: https://repo.example/bp, key: repo.asc, fingerprint: "ABCD..." }
  modules: [{ name: llm, state: running }]
Bad or missing answers fail with the field named, before anything is written (exit 2).
Running it again with the same answers changes nothing.`,
  async run(ctx, parsed) {
    const file = optString(parsed, 'answers');
    if (!file) {
      if (!ctx.interactive || ctx.json)
        throw new UsageError(
          'No terminal for the wizard and no --answers file',
          'Run `blueprint setup --answers FILE` (see `blueprint setup --help` for the format).',
        );
      const { openTui } = await import('../../tui/index.js');
      return openTui(ctx, { screen: 'setup' });
    }
    return runSpec(ctx, await loadAnswersFile(file), optBool(parsed, 'dry-run'));
  },
};
