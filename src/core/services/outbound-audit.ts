import type { Engine } from './engine.js';
import { inspectContainer, ownOrNone } from './lifecycle.js';
import { type ModuleFlow, moduleFlows } from './outbound.js';
import { listRegistrations } from './registry.js';

/**
 * The running modules with outbound network, each with a reader of its namespace's flows, for
 * `audit outbound` (system/egress-audit.ts). A module not running has nothing to read now; its
 * history stays on disk.
 */
export async function outboundModules(
  root: string,
  engine: Engine,
): Promise<{ name: string; flows: () => Promise<ModuleFlow[]> }[]> {
  const out: { name: string; flows: () => Promise<ModuleFlow[]> }[] = [];
  // A damaged registration fails the audit (with its fix): its running container is not left unread.
  const regs = await listRegistrations(root, undefined, (_, err) => {
    throw err;
  });
  for (const reg of regs) {
    if (reg.spec.network !== 'outbound') continue;
    const info = await inspectContainer(engine, reg.name, root).catch(ownOrNone);
    const pid = info?.State.Running ? info.State.Pid : 0;
    if (pid > 1) out.push({ name: reg.name, flows: () => moduleFlows(pid) });
  }
  return out;
}
