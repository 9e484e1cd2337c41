import type { HookOptions, UnpackedPackage } from '../pkg/hooks.js';
import type { Engine } from './engine.js';
import { realpath } from './fs-cb.js';
import { inspectContainer, ownOrNone, type ServiceDeps, startService, stopService } from './lifecycle.js';
import { checkPackageMounts, packageMountsOf, planPackageMounts } from './package-mounts.js';
import { listRegistrations } from './registry.js';

/**
 * After a package version is removed (`bpkg remove model-x`, or an old version discarded): a
 * running service that has a folder of it mounted (package-mounts.ts) is restarted, so it serves
 * what is installed now rather than files about to be deleted; when nothing it needs is left (its
 * last model package), it is stopped, and its next start says what to install. Either way the
 * admin reads it in the removal's output.
 */
export async function restartPackageUsers(
  deps: Omit<ServiceDeps, 'engine'> & { engine: () => Engine },
  pkg: UnpackedPackage,
  hook: HookOptions,
): Promise<void> {
  const candidates = (await listRegistrations(deps.root)).filter((r) =>
    packageMountsOf(r).some((m) => pkg.name.startsWith(m.packages.slice(0, -1))),
  );
  if (candidates.length === 0) return; // no engine is opened for an ordinary removal
  const real = await realpath(pkg.prefix).catch(() => pkg.prefix);
  const engine = deps.engine();
  const d: ServiceDeps = { ...deps, engine };
  for (const reg of candidates) {
    // Another box's container (a copied root) is not this box's to restart.
    const info = await inspectContainer(engine, reg.name, deps.root).catch(ownOrNone);
    if (!info?.State.Running) continue;
    const mounted = (info.Mounts ?? []).some((m) => m.Source === real || m.Source.startsWith(`${real}/`));
    if (!mounted) continue;
    let why: string | undefined;
    try {
      checkPackageMounts(reg.name, await planPackageMounts(deps.root, reg));
    } catch (err) {
      why = (err as Error).message;
    }
    // `force`: a module that uses this one loses its API only for the restart.
    await stopService(d, reg.name, undefined, { force: true });
    if (why) {
      hook.warn(
        `${reg.name}: stopped, it used ${pkg.name} ${pkg.version} and cannot start without it (${why})`,
      );
      continue;
    }
    hook.info(`${reg.name}: restarting without ${pkg.name} ${pkg.version}`);
    // Waited for as `service restart` is: the removal returns with the service answering, so a
    // script's next request (`bpkg remove model-x && curl …`) is not refused while it starts.
    const started = await startService(d, reg.name).then(
      (r) => r,
      (err: unknown) => err as Error,
    );
    if (started instanceof Error)
      hook.warn(
        `${reg.name}: restarted without ${pkg.name} ${pkg.version}, but it did not become healthy (${started.message}): \`blueprint service logs ${reg.name}\` says why`,
      );
    else
      hook.info(
        `${reg.name}: restarted without ${pkg.name} ${pkg.version}${started.startToHealthyMs === null ? '' : `, healthy after ${started.startToHealthyMs} ms`}`,
      );
  }
}
