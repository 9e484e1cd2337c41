import { type ContainerInfo, otherBox } from './container-info.js';
import { deviceGid, labelGid, revokeDeviceAccess } from './device-access.js';
import type { Engine } from './engine.js';
import { sleep } from './health.js';
import { USES_DIRS_LABEL, USES_GID_LABEL } from './policy.js';
import { socketDirsFromLabel, unshareWiring } from './wiring.js';

/**
 * Removes a container and the device ACL entries made for it (`info`: its inspect, when the caller
 * has it). Remove answers 500 "device or resource busy" now and then although the container is
 * gone: retry; 404 is done.
 */
export async function removeContainer(
  engine: Engine,
  idOrName: string,
  known?: ContainerInfo,
): Promise<void> {
  const info =
    known ??
    (await engine.libpod<ContainerInfo>('GET', `/containers/${idOrName}/json`).catch(() => undefined));
  const gid = info && deviceGid(info);
  if (info && gid !== undefined)
    await revokeDeviceAccess(
      (info.HostConfig?.Devices ?? []).map((d) => d.PathInContainer),
      gid,
    );
  const usesGid = info && labelGid(info, USES_GID_LABEL);
  if (info && usesGid !== undefined)
    await unshareWiring(socketDirsFromLabel(info.Config.Labels[USES_DIRS_LABEL]), usesGid);
  for (let attempt = 0; ; attempt++) {
    try {
      await engine.libpod('DELETE', `/containers/${idOrName}`, {
        query: { force: true, v: true },
        ok: [404],
      });
      return;
    } catch (err) {
      if (attempt >= 5 || !/busy/i.test((err as Error).message)) throw err;
      await sleep(200 * (attempt + 1));
    }
  }
}

/**
 * Removes every container of the box at `root` carrying the module's label (also ones left by
 * older blueprint versions). The label is engine-wide: another box's (otherBox) is left alone.
 */
export async function removeModuleContainers(engine: Engine, name: string, root: string): Promise<number> {
  const list = await engine.libpod<{ Id: string }[]>('GET', '/containers/json', {
    query: { all: true, filters: JSON.stringify({ label: [`org.blueprintos.module=${name}`] }) },
  });
  let removed = 0;
  for (const c of list) {
    const info = await engine.libpod<ContainerInfo>('GET', `/containers/${c.Id}/json`).catch(() => undefined);
    if (info && otherBox(info, root, name)) continue;
    await removeContainer(engine, c.Id, info);
    removed++;
  }
  return removed;
}
