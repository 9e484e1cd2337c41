import { ExitCode } from '../../app/index.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Check the container engine and sandbox prerequisites; print the exact fix for each problem',
  details: 'Exit codes: 0 all good, 6 the engine is missing or unreachable, 1 another check failed.',
  async run(ctx) {
    const checks = await cliBox(ctx).audit.doctor();
    const ok = checks.every((c) => c.ok);
    ctx.result({ ok, checks }, () =>
      checks
        .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ''}`)
        .join('\n'),
    );
    if (ok) return ExitCode.ok;
    const engineDown = checks.some(
      (c) => !c.ok && ['podman installed', 'engine socket', 'engine answers'].includes(c.name),
    );
    return engineDown ? ExitCode.engine : ExitCode.failure;
  },
};
