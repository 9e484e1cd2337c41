import { ConflictError } from '../errors.js';
import { containerName, inspectContainer, ownOrNone } from './container-info.js';
import { getRegistration } from './registry.js';
import { holdRestarts } from './restarts.js';
import type { ServiceDeps } from './sandbox-plan.js';
import { usersOf, usesOf } from './wiring.js';

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
  if (!opts.force) await refuseInUse(deps, name, []);
  await holdRestarts(deps.root, name); // also one waiting for its next restart after a crash
  const info = await inspectContainer(deps.engine, name, deps.root);
  if (!info?.State.Running) return false;
  await deps.engine.libpod('POST', `/containers/${containerName(name)}/stop`, {
    query: { timeout: timeout ?? reg.spec.stopTimeout },
    ok: [304],
  });
  return true;
}

/** ConflictError `in-use` when running services, other than `stopping`, use `name`. */
async function refuseInUse(deps: ServiceDeps, name: string, stopping: string[]): Promise<void> {
  const users = await usersOf(
    deps.root,
    name,
    async (u) =>
      !stopping.includes(u) &&
      (await inspectContainer(deps.engine, u, deps.root).catch(ownOrNone))?.State.Running === true,
  );
  if (users.length) {
    const named = stopping.length ? stopping : [name];
    throw new ConflictError(
      `${name} is in use by ${users.join(', ')}`,
      'in-use',
      `Stop ${users.join(', ')} with it: \`blueprint service stop ${[...named, ...users].join(' ')}\`, or stop ${name} anyway: \`blueprint service stop ${named.join(' ')} --force\` (${users.join(', ')} ${users.length === 1 ? 'loses' : 'lose'} its API until it starts again).`,
    );
  }
}

/**
 * Several services (`service stop a b`), judged before any is stopped: each must be installed
 * (NotFoundError), and unless `force` no running service outside `names` may use one of them. Then
 * consumers go before what they use, so no running service loses an API it uses while it runs.
 */
export async function stopServices(
  deps: ServiceDeps,
  names: string[],
  timeout?: number,
  opts: { force?: boolean } = {},
): Promise<{ name: string; stopped: boolean }[]> {
  const unique = [...new Set(names)];
  const regs = await Promise.all(unique.map((n) => getRegistration(deps.root, n)));
  if (!opts.force) for (const n of unique) await refuseInUse(deps, n, unique);
  const order = consumersFirst(unique, (n) => usesOf(regs[unique.indexOf(n)]!).map((u) => u.name));
  const out: { name: string; stopped: boolean }[] = [];
  for (const n of order) out.push({ name: n, stopped: await stopService(deps, n, timeout, { force: true }) });
  return out;
}

/**
 * `names` ordered so that a service comes before every named service it uses (directly or
 * through others named), otherwise in the order given. Uses form no loop (refused at install); one
 * would be taken in the order given.
 */
export function consumersFirst(names: string[], uses: (name: string) => string[]): string[] {
  const left = [...names];
  const out: string[] = [];
  while (left.length) {
    // The first left that no other one left uses.
    const i = left.findIndex((n) => !left.some((m) => m !== n && uses(m).includes(n)));
    out.push(...left.splice(i === -1 ? 0 : i, 1));
  }
  return out;
}
