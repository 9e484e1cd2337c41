import type { CommandSpec } from '../command.js';

export const tuiCommand: CommandSpec = {
  name: 'tui',
  summary: 'Open the interactive interface (dashboard, packages, services, logs, GPU)',
  async run(ctx) {
    const { openTui } = await import('../../tui/index.js');
    return openTui(ctx);
  },
};
