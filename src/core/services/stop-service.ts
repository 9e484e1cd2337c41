import { ConflictError } from '../errors.js';
import { containerName, inspectContainer, ownOrNone } from './container-info.js';
import { getRegistration } from './registry.js';
import { holdRestarts } from './restarts.js';
import type { ServiceDeps } from './sandbox-plan.js';
import { usersOf } from './wiring.js';

/**
 * SIGTERM, then SIGKILL after the timeout (the manifest's stopTimeout unless given). A module that
 * running services use is not stopped unless `force`: the error names them.
 */
export async function stopService(
  deps: ServiceDeps,
  name: string,
  timeout?: number,
  opts: { force?: boolean } = {},
): Promise<boolean> {
  const reg = await getRegistration(deps.root, name);
  if (!opts.force) {
    const users = await usersOf(
      deps.root,
      name,
      async (u) =>
        (await inspectContainer(deps.engine, u, deps.root).catch(ownOrNone))?.State.Running === true,
    );
    if (users.length)
      throw new ConflictError(
        `${name} is in use by ${users.join(', ')}`,
        'in-use',
        `Stop ${users.join(', ')} first, or stop ${name} anyway with --force (they lose its API until it starts again).`,
      );
  }
  await holdRestarts(deps.root, name); // also one waiting for its next restart after a crash
  const info = await inspectContainer(deps.engine, name, deps.root);
  if (!info?.State.Running) return false;
  await deps.engine.libpod('POST', `/containers/${containerName(name)}/stop`, {
    query: { timeout: timeout ?? reg.spec.stopTimeout },
    ok: [304],
  });
  return true;
}
