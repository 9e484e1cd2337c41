import { hostArch, VERSION } from '../../app/base.js';
import type { CommandSpec } from '../command.js';

export const versionCommand: CommandSpec = {
  name: 'version',
  summary: 'Print the version of blueprint, the Node runtime it embeds and the architecture',
  async run(ctx) {
    ctx.result(
      { version: VERSION, node: process.versions.node, arch: hostArch() },
      `blueprint ${VERSION} (node ${process.versions.node}, ${hostArch()})`,
    );
  },
};
