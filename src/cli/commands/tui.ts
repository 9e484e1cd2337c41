import { UsageError } from '../../app/index.js';
import { type CommandSpec, optBool } from '../command.js';
import type { Context } from '../context.js';

/**
 * Opens the console (src/tui) on this command's box: the one place the CLI reaches the TUI (the
 * `tui` command, a bare `blueprint` on a terminal, and `blueprint setup`'s wizard).
 */
export async function openConsole(
  ctx: Context,
  opts: { screen?: 'setup'; login?: boolean } = {},
): Promise<number> {
  const { openTui } = await import('../../tui/index.js');
  // The console asks its own questions on its own screen: it opens its box without the CLI's prompts.
  return openTui(ctx.root, { ...opts, color: ctx.color, signal: ctx.signal });
}

export const tuiCommand: CommandSpec = {
  name: 'tui',
  summary: 'Open the interactive interface (dashboard, packages, services, keys, setup, outbound, system)',
  options: {
    login: {
      type: 'boolean',
      description: 'Started by the SSH login hook: `!` leaves for a shell (exit code 10)',
    },
  },
  details: `Keys: ? help, 1-7 screens (or Tab), j/k or arrows move, / search, q or Esc back, Ctrl-C quit.
Plain text with NO_COLOR=1, TERM=dumb or --no-color. Every action is also a command:
\`blueprint status\`, \`blueprint pkg ...\`, \`blueprint setup\`. Refused with --json (exit 2): a screen is no document.`,
  async run(ctx, parsed) {
    // --json is one document and no escape codes: a screen drawn on stdout is neither.
    if (ctx.json)
      throw new UsageError(
        'The interactive interface has no --json',
        'Leave out --json to open it; for a script, `blueprint --json status` prints the box as one document.',
      );
    if (!ctx.interactive)
      throw new UsageError(
        'The interactive interface needs a terminal',
        'Use the commands instead, e.g. `blueprint --json status`.',
      );
    return openConsole(ctx, { login: optBool(parsed, 'login') });
  },
};
