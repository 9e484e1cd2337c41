import type { PackageManager, ProgressEvent } from '../pkg/index.js';
import { type ModuleOps, NotAvailableError } from './ops.js';

export interface ManagerHooks {
  info?: (line: string) => void;
  warn?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

/**
 * The package manager for a root, as setup and the TUI open it (quiet unless told where to talk).
 * Loaded on first use: a setup with no repositories or modules never pays for OpenPGP.
 */
export async function openManager(root: string, hooks: ManagerHooks = {}): Promise<PackageManager> {
  const { PackageManager } = await import('../pkg/index.js');
  return new PackageManager({ root, yes: true, ...hooks });
}

/**
 * The package manager (src/core/pkg) and services as setup sees them. Services are not in this
 * build yet: `servicesAvailable` is false, and plans that start modules are blocked, not faked.
 */
export async function moduleOpsFor(root: string, hooks: ManagerHooks = {}): Promise<ModuleOps> {
  let manager: Promise<PackageManager> | undefined;
  const pm = () => {
    manager ??= openManager(root, hooks);
    return manager;
  };
  const noServices = async (): Promise<never> => {
    throw new NotAvailableError('Starting and stopping services');
  };
  return {
    trustedKeys: async () => (await (await pm()).keyring.list()).map((k) => k.fingerprint.toUpperCase()),
    trustKey: async (armored) => (await (await pm()).keyring.add(armored)).fingerprint.toUpperCase(),
    repositories: async () => (await pm()).repos.list(),
    async addRepository(name, url) {
      const m = await pm();
      // Declarative: a repository whose URL changed is replaced, not refused.
      if ((await m.repos.list()).some((r) => r.name === name)) await m.repos.remove(name);
      await m.repos.add(name, url);
    },
    installed: async () => (await (await pm()).installed()).map((p) => p.name),
    async install(names) {
      const m = await pm();
      await m.update();
      await m.install(names);
    },
    remove: async (names) => void (await (await pm()).remove(names)),
    servicesAvailable: false,
    running: async () => [],
    start: noServices,
    stop: noServices,
  };
}
