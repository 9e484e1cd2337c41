import { existsSync } from 'node:fs';
import { VERSION } from '../../core/version.js';
import type { CommandSpec } from '../command.js';
import { openPackageManager } from '../packages.js';

/**
 * The box at a glance, for people and for fleets (`ssh box blueprint --json status`): the same core
 * calls the TUI dashboard makes. A part that cannot be read (no engine) says why instead of failing.
 */
export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'Summary of the box: host, setup, packages, services, network exposure',
  async run(ctx) {
    const [{ hostFacts, formatBytes, formatDuration }, { exposureAudit }] = await Promise.all([
      import('../../core/system/host.js'),
      import('../../core/system/exposure.js'),
    ]);
    const pm = await openPackageManager(ctx);
    const [host, packages, exposure, upgradable] = await Promise.all([
      hostFacts(ctx.root),
      pm.installed(),
      exposureAudit(ctx.root),
      pm.upgradable().catch(() => []),
    ]);
    let services: unknown[] | { error: string } = [];
    try {
      const [{ chooseSocket, connectEngine }, { listServices }] = await Promise.all([
        import('../../core/services/engine.js'),
        import('../../core/services/status.js'),
      ]);
      const engine = await connectEngine(chooseSocket(process.env, ctx.paths.configFile).path);
      services = await listServices({ engine, root: ctx.root });
    } catch (err) {
      services = { error: (err as Error).message };
    }
    const data = {
      version: VERSION,
      setUp: existsSync(ctx.paths.setupMarker),
      host,
      packages: packages.map((p) => ({ name: p.name, version: p.version })),
      updates: upgradable,
      services,
      exposure,
    };
    const svcLine = Array.isArray(services)
      ? services.length
        ? (services as Array<{ name: string; state: string }>).map((s) => `${s.name} ${s.state}`).join(', ')
        : 'none installed'
      : `unknown (${services.error})`;
    ctx.result(
      data,
      [
        `${host.hostname}: blueprint ${VERSION}${data.setUp ? '' : ' (not set up: run `blueprint setup`)'}`,
        `  up ${formatDuration(host.uptimeSeconds)}, load ${host.cpu.load.join(' ')}, memory ${formatBytes(host.memory.totalBytes - host.memory.availableBytes)} of ${formatBytes(host.memory.totalBytes)}`,
        `  packages: ${packages.map((p) => `${p.name} ${p.version}`).join(', ') || 'none'}${upgradable.length ? ` (${upgradable.length} upgradable)` : ''}`,
        `  services: ${svcLine}`,
        `  exposure: ${exposure.listeners.length} socket(s) beyond loopback; firewall ${exposure.firewall}`,
      ].join('\n'),
    );
  },
};
