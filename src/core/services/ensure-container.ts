import path from 'node:path';
import { BlueprintError } from '../errors.js';
import { type ContainerInfo, inspectContainer } from './container-info.js';
import { removeContainer } from './container-remove.js';
import { claimModuleData, takesPurges } from './data-owner.js';
import { labelGid, shareDevices } from './device-access.js';
import { ensureDirSync } from './fs-cb.js';
import { judgeImageAtStart } from './image-annotations.js';
import { tagImageAtStart } from './image-tags.js';
import { allInOrder } from './in-order.js';
import { checkPackageMounts } from './package-mounts.js';
import { type ContainerPlan, SPEC_LABEL, serviceDirs, USES_GID_LABEL } from './policy.js';
import type { LoadedRegistration } from './registry.js';
import { applyAppArmor, planFor, type ServiceDeps, writeSeccomp } from './sandbox-plan.js';
import { shareWiring, writeTokenCopies } from './wiring.js';

/**
 * Creates the container unless one built from the same spec exists (the spec hash is a label).
 * `known`: the container's inspect, when the caller has just asked for it (one engine call less).
 * `alongside`: a write that must be done before the container starts; it runs once the create
 * request has gone to the engine (or at once when none is needed), so it is off the way to create.
 */
export async function ensureContainer(
  deps: ServiceDeps,
  reg: LoadedRegistration,
  known?: ContainerInfo | null,
  planned?: ContainerPlan,
  alongside: () => Promise<void> = async () => {},
): Promise<ContainerPlan> {
  const plan = planned ?? (await planFor(deps, reg));
  checkPackageMounts(reg.name, plan.packages);
  // Before the engine copies its annotations onto a container: an image an older box loaded was
  // never judged (a stat for one that was: image-annotations.ts).
  await judgeImageAtStart(deps.engine, deps.root, reg.name, reg.imageId);
  // A box installed before its image's tag was its own has it from its first start (a stat after).
  await tagImageAtStart(deps.engine, deps.root, reg.name, reg.version, reg.imageId);
  // At every start, not only at create: a container made for the data's owner is reused when a
  // package of the same spec comes from elsewhere (data-owner.ts). With it, whether the module takes
  // consumers' purges: its data, once kept, is still asked (consumer-purge.ts).
  if (reg.spec.data) claimModuleData(deps.root, reg.name, { consumerPurge: takesPurges(reg.spec) });
  // A provider that takes a token per consumer: its file lists the modules that use it now.
  if (reg.spec.socket?.clientTokens && reg.spec.data)
    await (await import('./client-tokens.js')).writeClientTokens(deps.root, reg.name);
  // Before create and at every start: the kernel forgets loaded profiles at reboot.
  await applyAppArmor(deps.root, reg, plan);
  let container =
    known === undefined ? await inspectContainer(deps.engine, reg.name, deps.root) : (known ?? undefined);
  if (!keptBy(container, plan)) {
    if (container) await removeContainer(deps.engine, container.Id, container);
    // Bind sources must exist at create; a provider not started yet has no socket folder.
    for (const dir of [...plan.hostDirs, ...plan.uses.map((u) => u.socketDir)]) ensureDirSync(dir, 0o750);
    ensureDirSync(path.dirname(serviceDirs(deps.root, reg.name).logFile), 0o750);
    writeSeccomp(deps.root);
    await writeTokenCopies(deps.root, reg.name, plan.uses);
    let sent: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const created = deps.engine
      .libpod('POST', '/containers/create', { body: plan.spec, sent })
      .catch(async (err: unknown) => {
        // An image judged before and removed since (`podman rmi`): said as such, with the fix.
        const m = await import('./image-missing.js');
        if (await m.imagePresent(deps.engine, reg.imageId).catch(() => true)) throw err;
        throw m.imageMissing(reg.name, reg.imageId);
      });
    // Once the request is out (or failed before): Podman creates while we write.
    const wrote = Promise.race([written, created.then(noop, noop)]).then(alongside);
    await allInOrder([created, wrote]);
    // The user namespace is chosen at create: only a new container's inspect has its GID map.
    if (plan.deviceNodes.length || plan.uses.length)
      container = await inspectContainer(deps.engine, reg.name, deps.root);
  } else await alongside();
  if (plan.uses.length) {
    const gid = container && labelGid(container, USES_GID_LABEL);
    if (gid === undefined)
      throw new BlueprintError(
        `${reg.name}: the engine did not report the user namespace of its container`,
        'uses-access',
        'Run `blueprint doctor`; the engine must run containers with `userns=auto`.',
      );
    await shareWiring(plan.uses, gid);
  }
  // At every start: /dev is made afresh at boot, and with it the nodes' ACLs.
  if (plan.deviceNodes.length) await shareDevices(reg.name, container, plan.deviceNodes);
  return plan;
}

const noop = () => {};

/**
 * Whether ensureContainer keeps this container (built from the same spec, its process not gone
 * behind the engine) rather than making it afresh: a start then finds it as it was (running or not).
 */
export function keptBy(container: ContainerInfo | undefined, plan: ContainerPlan): boolean {
  const want = (plan.spec.labels as Record<string, string>)[SPEC_LABEL];
  return container !== undefined && container.Config.Labels[SPEC_LABEL] === want && !container.State.Gone;
}
