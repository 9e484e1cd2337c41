import { UsageError } from '../../core/errors.js';
import { type CommandSpec, optBool } from '../command.js';

export const tuiCommand: CommandSpec = {
  name: 'tui',
  summary: 'Open the interactive interface (dashboard, packages, services, keys, setup)',
  options: {
    login: {
      type: 'boolean',
      description: 'Started by the SSH login hook: `!` leaves for a shell (exit code 10)',
    },
  },
  details: `Keys: ? help, 1-5 screens, j/k or arrows move, / search, q or Esc back, Ctrl-C quit.
Plain text with NO_COLOR=1, TERM=dumb or --no-color. Every action is also a command:
\`blueprint status\`, \`blueprint pkg ...\`, \`blueprint setup\`.`,
  async run(ctx, parsed) {
    if (!ctx.interactive)
      throw new UsageError(
        'The interactive interface needs a terminal',
        'Use the commands instead, e.g. `blueprint --json status`.',
      );
    const { openTui } = await import('../../tui/index.js');
    return openTui(ctx, { login: optBool(parsed, 'login') });
  },
};
