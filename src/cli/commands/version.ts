import { VERSION } from '../../app/base.js';
import type { CommandSpec } from '../command.js';

export const versionCommand: CommandSpec = {
  name: 'version',
  summary: 'Print the version of blueprint and the Node runtime it embeds',
  async run(ctx) {
    ctx.result(
      { version: VERSION, node: process.versions.node },
      `blueprint ${VERSION} (node ${process.versions.node})`,
    );
  },
};
