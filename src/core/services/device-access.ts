import { BlueprintError } from '../errors.js';
import type { ContainerInfo } from './container-info.js';

/**
 * GPU device nodes such as /dev/kfd and /dev/dri/renderD128 are `0660 root:render`. Inside a
 * service's user namespace the host's render group does not exist (and a `FROM scratch` image
 * cannot even name it), and runc bind-mounts the host node itself, so the process would get
 * EACCES. Each GPU service's own group (the host gid its container group maps to) gets an ACL
 * entry on exactly the nodes it was given; the entry goes when the container goes. Another
 * container could not use a leftover entry anyway: the node is not in its /dev and its device
 * cgroup refuses it.
 */

/** The label that records which container gid the entry was made for. */
export const DEVICE_GID_LABEL = 'org.blueprintos.device-gid';

/** The host gid that `containerGid` maps to, from the engine's GidMap ("container:host:size"). */
export function hostGid(gidMap: string[] | undefined, containerGid: number): number | undefined {
  for (const range of gidMap ?? []) {
    const [c, h, n] = range.split(':').map(Number);
    if (c === undefined || h === undefined || n === undefined || [c, h, n].some(Number.isNaN)) continue;
    if (containerGid >= c && containerGid < c + n) return h + (containerGid - c);
  }
  return undefined;
}

/**
 * The service's group inside its container: the gid of the manifest's `user` ("uid:gid"), else 0
 * (what the engine gives a bare numeric uid with no passwd entry, and root).
 */
export function containerGid(user: string | undefined): number {
  return Number.parseInt(user?.split(':')[1] ?? '0', 10) || 0;
}

export async function grantDeviceAccess(nodes: string[], gid: number): Promise<void> {
  if (nodes.length === 0) return;
  const { execa } = await import('execa');
  try {
    await execa('setfacl', ['-m', `g:${gid}:rw`, ...nodes]);
  } catch (err) {
    throw new BlueprintError(
      `Could not let the service use ${nodes.join(', ')}: ${(err as Error).message.split('\n')[0]}`,
      'gpu-access',
      'Install the acl package (`apt-get install acl`) and check that the device nodes exist (`blueprint gpu`).',
    );
  }
}

/** Best effort: a node that is gone or has no such entry is fine. */
export async function revokeDeviceAccess(nodes: string[], gid: number): Promise<void> {
  if (nodes.length === 0) return;
  const { execa } = await import('execa');
  await execa('setfacl', ['-x', `g:${gid}`, ...nodes], { reject: false });
}

/** The GPU nodes a container was given become usable by its group (the ACL entries below). */
export async function shareDevices(
  name: string,
  info: ContainerInfo | undefined,
  nodes: string[],
): Promise<void> {
  const gid = info && deviceGid(info);
  if (gid === undefined)
    throw new BlueprintError(
      `${name}: the engine did not report the user namespace of its container`,
      'gpu-access',
      'Run `blueprint doctor`; the engine must run containers with `userns=auto`.',
    );
  await grantDeviceAccess(nodes, gid);
}

/** The host gid a container's device ACL entries were made for, if it has any. */
export function deviceGid(info: ContainerInfo): number | undefined {
  return labelGid(info, DEVICE_GID_LABEL);
}

/**
 * The host gid of the container gid a label records (ACL entries are made for it). A container
 * made before these labels were always set may carry its image's: only a plain number counts.
 */
export function labelGid(info: ContainerInfo, name: string): number | undefined {
  const label = info.Config.Labels[name];
  return label === undefined || !/^\d{1,10}$/.test(label)
    ? undefined
    : hostGid(info.HostConfig?.IDMappings?.GidMap, Number(label));
}
