import { PackageManager } from '../pkg/index.js';
import { type ModuleOps, NotAvailableError } from './ops.js';

export interface ManagerHooks {
  info?: (line: string) => void;
  warn?: (line: string) => void;
  signal?: AbortSignal;
}

/** The package manager for a root, as setup and the TUI open it (quiet unless told where to talk). */
export function openManager(root: string, hooks: ManagerHooks = {}): PackageManager {
  return new PackageManager({ root, yes: true, ...hooks });
}

/**
 * The package manager (src/core/pkg) and services as setup sees them. Services are not in this
 * build yet: `servicesAvailable` is false, and plans that start modules are blocked, not faked.
 */
export async function moduleOpsFor(root: string, hooks: ManagerHooks = {}): Promise<ModuleOps> {
  const pm = openManager(root, hooks);
  const noServices = async (): Promise<never> => {
    throw new NotAvailableError('Starting and stopping services');
  };
  return {
    trustedKeys: async () => (await pm.keyring.list()).map((k) => k.fingerprint.toUpperCase()),
    trustKey: async (armored) => (await pm.keyring.add(armored)).fingerprint.toUpperCase(),
    repositories: () => pm.repos.list(),
    async addRepository(name, url) {
      // Declarative: a repository whose URL changed is replaced, not refused.
      if ((await pm.repos.list()).some((r) => r.name === name)) await pm.repos.remove(name);
      await pm.repos.add(name, url);
    },
    installed: async () => (await pm.installed()).map((p) => p.name),
    async install(names) {
      await pm.update();
      await pm.install(names);
    },
    remove: async (names) => void (await pm.remove(names)),
    servicesAvailable: false,
    running: async () => [],
    start: noServices,
    stop: noServices,
  };
}
