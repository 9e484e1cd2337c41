import os from 'node:os';
import { VERSION } from '../../core/version.js';
import type { CommandSpec } from '../command.js';

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Summary of the box: host, packages, services',
  async run(ctx) {
    const data = {
      version: VERSION,
      hostname: os.hostname(),
      uptimeSeconds: Math.round(os.uptime()),
      root: ctx.root,
    };
    ctx.result(data, `${data.hostname}: blueprint ${VERSION}, up ${data.uptimeSeconds}s`);
  },
};
