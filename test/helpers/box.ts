import { openBox } from '../../src/app/index.js';
import type { PackageManager } from '../../src/core/pkg/index.js';
import type { ModuleOps } from '../../src/core/setup/index.js';

/** The package manager of a root as the box wires it (the services hooks), for tests that set up state. */
export function openManager(root: string): Promise<PackageManager> {
  return import('../../src/app/context.js').then(({ makeContext }) => makeContext(root, {}).manager());
}

/** What setup gets from the box: its packages and services operations. */
export function moduleOpsFor(root: string): Promise<ModuleOps> {
  return openBox(root).setup.moduleOps();
}
