import { PackageManager } from '../core/pkg/index.js';
import type { Context } from './context.js';
import { progressReporter } from './progress.js';

/** The package manager as the CLI and TUI use it: this root, these hooks, this user's output. */
export async function openPackageManager(ctx: Context): Promise<PackageManager> {
  const { createServiceHooks } = await import('../core/services/hooks.js');
  const { planGpuAccess } = await import('../core/gpu/index.js');
  return new PackageManager({
    root: ctx.root,
    // Modules: validate the service section, load and check the image, remove containers.
    hooks: createServiceHooks({ root: ctx.root, planGpu: planGpuAccess }),
    yes: ctx.yes,
    info: ctx.info,
    warn: ctx.warn,
    onProgress: progressReporter(ctx),
    signal: ctx.signal,
  });
}

/** How `blueprint repo build` prepares package sources (modules build their container image here). */
export async function openBuildHooks(
  _ctx: Context,
  opts: { lint?: boolean } = {},
): Promise<import('../core/pkg/index.js').BuildHooks> {
  const { createBuildHooks } = await import('../core/services/hooks.js');
  return createBuildHooks(opts);
}
