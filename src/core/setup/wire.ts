import type { PackageManager, ProgressEvent } from '../pkg/index.js';
import type { ServiceDeps } from '../services/index.js';
import type { ModuleOps } from './ops.js';

export interface ManagerHooks {
  info?: (line: string) => void;
  warn?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

/**
 * The package manager for a root as setup and the TUI open it: with the services module's hooks
 * (validate the service section, load and check the image), like `bpkg`. `yes` stays false: a
 * module asking for outbound network is refused here and needs `bpkg install --yes`, where the
 * admin sees that question. Loaded on first use: a setup without modules never pays for OpenPGP.
 */
export async function openManager(root: string, hooks: ManagerHooks = {}): Promise<PackageManager> {
  const [{ PackageManager }, { createServiceHooks }, { planGpuAccess }] = await Promise.all([
    import('../pkg/index.js'),
    import('../services/hooks.js'),
    import('../gpu/index.js'),
  ]);
  return new PackageManager({
    root,
    hooks: createServiceHooks({ root, planGpu: planGpuAccess }),
    yes: false,
    ...hooks,
  });
}

/** The container engine and the GPU planner, as `blueprint service` uses them. */
export async function serviceDeps(root: string): Promise<ServiceDeps> {
  const [{ chooseSocket, connectEngine }, { layout }, { planGpuAccess }] = await Promise.all([
    import('../services/engine.js'),
    import('../system/paths.js'),
    import('../gpu/index.js'),
  ]);
  const engine = await connectEngine(chooseSocket(process.env, layout(root).configFile).path);
  return { engine, root, planGpu: planGpuAccess };
}

/** The package manager (src/core/pkg) and the services module (src/core/services) as setup sees them. */
export async function moduleOpsFor(root: string, hooks: ManagerHooks = {}): Promise<ModuleOps> {
  let manager: Promise<PackageManager> | undefined;
  let services: Promise<ServiceDeps> | undefined;
  const pm = () => {
    manager ??= openManager(root, hooks);
    return manager;
  };
  const deps = () => {
    services ??= serviceDeps(root);
    return services;
  };
  return {
    trustedKeys: async () => (await (await pm()).keyring.list()).map((k) => k.fingerprint.toUpperCase()),
    trustKey: async (armored) => (await (await pm()).keyring.add(armored)).fingerprint.toUpperCase(),
    repositories: async () => (await pm()).repos.list(),
    async addRepository(name, url, keys) {
      const m = await pm();
      // Declarative: a repository whose URL changed is replaced, not refused.
      if ((await m.repos.list()).some((r) => r.name === name)) await m.repos.remove(name);
      await m.repos.add(name, url, keys ? { keys } : {});
    },
    installed: async () => (await (await pm()).installed()).map((p) => p.name),
    async install(names) {
      const m = await pm();
      await m.update();
      await m.install(names);
    },
    remove: async (names) => void (await (await pm()).remove(names)),
    async registered() {
      const { listRegistrations } = await import('../services/registry.js');
      return (await listRegistrations(root)).map((r) => r.name);
    },
    async running() {
      const { listServices } = await import('../services/status.js');
      return (await listServices(await deps())).filter((s) => s.state === 'running').map((s) => s.name);
    },
    async start(name) {
      const { listRegistrations } = await import('../services/registry.js');
      // A module without a service section (data, models) is installed and that is all.
      if (!(await listRegistrations(root)).some((r) => r.name === name)) return;
      const { startService } = await import('../services/lifecycle.js');
      await startService(await deps(), name, { ...(hooks.signal ? { signal: hooks.signal } : {}) });
    },
    async stop(name) {
      const { stopService } = await import('../services/lifecycle.js');
      await stopService(await deps(), name);
    },
  };
}
