import { statusText } from '../../present/host.js';
import { cliBox } from '../box.js';
import type { CommandSpec } from '../command.js';

/**
 * The box at a glance, for people and for fleets (`ssh box blueprint --json status`): the same
 * `status()` the TUI dashboard and the web overview show. A part that cannot be read (no engine)
 * says why instead of failing.
 */
export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Summary of the box: host, setup, packages, services, network exposure',
  async run(ctx) {
    const data = await cliBox(ctx).status();
    ctx.result(data, statusText(data));
  },
};
