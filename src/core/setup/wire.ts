import type { ModuleOps } from './ops.js';

/**
 * The package manager and services as setup sees them. Returns undefined while this build has
 * no package manager: plans that need it are then blocked instead of pretending.
 */
export async function moduleOpsFor(_root: string): Promise<ModuleOps | undefined> {
  return undefined;
}
