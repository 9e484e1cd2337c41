import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BlueprintError } from '../errors.js';
import type { GpuAccessPlan, PlanGpuAccess } from '../gpu/types.js';
import { layout } from '../system/paths.js';
import { type AppArmorPlan, apparmorProfile, loadProfile, planAppArmor } from './apparmor.js';
import type { Engine } from './engine.js';
import { ensureDirSync } from './fs-cb.js';
import { allInOrder } from './in-order.js';
import { withOverrides } from './overrides.js';
import { type PlannedPackageMount, planPackageMounts } from './package-mounts.js';
import { type ContainerPlan, NO_GPU, sandboxPolicy } from './policy.js';
import type { LoadedRegistration } from './registry.js';
import seccompProfile from './seccomp.json' with { type: 'json' };
import { withSettings } from './settings.js';
import { planUses, type UsedModule } from './wiring.js';

/**
 * A service's sandbox, planned: what `start` creates its container from (policy.ts makes the spec),
 * and the files the engine and the kernel read for it (the seccomp profile, the AppArmor profile).
 */
export interface ServiceDeps {
  engine: Engine;
  root: string;
  /** The GPU module's planner; without one, services get no GPU. */
  planGpu?: PlanGpuAccess;
}

/** The sandbox for an installed module, exactly as `start` would create it. */
export async function planFor(deps: ServiceDeps, manifest: LoadedRegistration): Promise<ContainerPlan> {
  const { plan, gpuRefused } = await planLooking(deps, manifest);
  if (gpuRefused) throw gpuRefused;
  return plan;
}

/**
 * As planFor, for a look (`service inspect`): a GPU the manifest requires and this box cannot give
 * does not end it. The plan then has no GPU (its summary says why) and `gpuRefused` is the error
 * a start meets (the GPU planner's, with its hint); planFor throws it.
 */
export async function planLooking(
  deps: ServiceDeps,
  manifest: LoadedRegistration,
): Promise<{ plan: ContainerPlan; gpuRefused?: BlueprintError }> {
  // The admin's memory and cpus (etc/blueprint/overrides/NAME.json) and settings of the manifest's
  // env (etc/blueprint/settings/NAME.json, only keys it declares), read at every plan; the memory
  // the settings grow (resources.memoryPerSetting) gives way to the admin's own memory.
  // A limit grown per token of the models it mounts (memoryPerSetting.bytes "model", the catalog's
  // llm) reads their GGUF headers: only that manifest loads the reader (model-memory.ts).
  const packagesPlanned = planPackageMounts(deps.root, manifest);
  packagesPlanned.catch(() => {}); // met below, in order
  const reg = withOverrides(
    deps.root,
    manifest.spec.resources.memoryPerSetting?.bytes === 'model'
      ? await (await import('./model-memory.js')).withSettingsOfModels(
          deps.root,
          manifest,
          undefined,
          packagesPlanned,
        )
      : withSettings(deps.root, manifest),
  );
  let refused: BlueprintError | undefined;
  const gpuPlan =
    reg.spec.gpu === 'none' || !deps.planGpu
      ? NO_GPU
      : deps.planGpu(deps.root, reg.spec.gpu).catch((err: unknown): GpuAccessPlan => {
          if (reg.spec.gpu !== 'required' || (err as BlueprintError)?.code !== 'gpu-required') throw err;
          refused = err as BlueprintError;
          return { ...NO_GPU, reason: refused.message };
        });
  // Four independent reads, asked together; their errors are still met in this order (the GPU's first).
  const [gpu, apparmor, uses, packages] = await allInOrder([
    gpuPlan,
    planAppArmor(reg.name),
    planUses(deps.root, reg),
    packagesPlanned,
  ] as const).catch((err: unknown) => {
    throw refused ?? err;
  });
  if (reg.spec.gpu === 'required' && !gpu.use)
    refused ??= new BlueprintError(`${reg.name} requires a GPU: ${gpu.reason}`, 'gpu-required');
  let plan: ContainerPlan;
  try {
    plan = planWith(deps.root, reg, gpu, apparmor, uses, packages, boxIdentity(deps.root));
  } catch (err) {
    throw refused ?? err;
  }
  return refused ? { plan, gpuRefused: refused } : { plan };
}

/**
 * The box at `root`, told apart from one that was at the same path before: its root folder's device,
 * inode and birth time (the inode alone is often given again at once to a folder made after one is
 * deleted; without birth times, as on some file systems, device and inode still tell most apart).
 * The same folder by another name (a link) is the same box; a copy (`cp -a`) or a folder made anew is
 * another. A container made for a box deleted since holds that box's folders (sockets, data) bound
 * in, and a start at the new box would wait for a socket it can never make (test/services/deleted-root).
 */
export function boxIdentity(root: string): string {
  const st = statSync(root, { bigint: true });
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

/** The sandbox with a given GPU plan and AppArmor plan (no I/O); `box`: boxIdentity, when known. */
export function planWith(
  root: string,
  reg: LoadedRegistration,
  gpu: GpuAccessPlan,
  apparmor: AppArmorPlan,
  uses: UsedModule[] = [],
  packages: PlannedPackageMount[] = [],
  box?: string,
): ContainerPlan {
  return sandboxPolicy({
    root,
    name: reg.name,
    version: reg.version,
    prefix: reg.prefix,
    service: reg.spec,
    approvals: reg.approvals,
    gpu,
    seccompProfile: seccompPath(root),
    apparmor,
    uses,
    packages,
    ...(box ? { box } : {}),
  });
}

/** Writes and loads the service's own AppArmor profile, when the plan has one (apparmor.ts). */
export async function applyAppArmor(
  root: string,
  reg: LoadedRegistration,
  plan: ContainerPlan,
): Promise<void> {
  if (plan.summary.apparmor.mode !== 'own-profile') return;
  const text = apparmorProfile({
    name: reg.name,
    network: reg.spec.network,
    writable: plan.summary.mounts.filter((m) => m.mode === 'rw').map((m) => m.target),
    devices: ((plan.spec.devices ?? []) as { path: string }[]).map((d) => d.path),
    sockets: plan.uses.map((u) => u.socket),
  });
  await loadProfile(root, reg.name, text);
}

const seccompPath = (root: string) => path.join(layout(root).stateDir, 'services', 'seccomp.json');

/**
 * The engine reads the profile from a host path; blueprint carries it inside and writes it out.
 * Synchronous, as the folders beside it: a few small local files, where each trip through the
 * thread pool is a wake-up that waits for a core on a busy box (issue 20).
 */
export function writeSeccomp(root: string): void {
  const file = seccompPath(root);
  const text = JSON.stringify(seccompProfile);
  let had = '';
  try {
    had = readFileSync(file, 'utf8');
  } catch {}
  if (had === text) return;
  ensureDirSync(path.dirname(file));
  writeFileSync(file, text, { mode: 0o644 });
}
