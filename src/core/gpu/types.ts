/** What a module's manifest asks for (`service.gpu`). */
export type GpuNeed = 'none' | 'optional' | 'required';

/**
 * What a container gets for GPU access, decided by the gpu module from the host's detection.
 * The services module applies it verbatim when it creates the container.
 */
export interface GpuAccessPlan {
  /** True when the container gets a GPU. */
  use: boolean;
  vendor?: 'nvidia' | 'amd' | 'intel';
  /** CDI device names for the libpod create call, e.g. `nvidia.com/gpu=all`. */
  cdiDevices: string[];
  /** Host device nodes to pass through, e.g. /dev/kfd, /dev/dri/renderD128. */
  devices: string[];
  /** Supplementary groups the process needs for those nodes (video, render). */
  groups: string[];
  /** One line for logs and `service inspect`: why this plan (or why no GPU). */
  reason: string;
}

/** Decides GPU access for a service; throws a BlueprintError (code `gpu-required`) when `required` cannot be met. */
export type PlanGpuAccess = (root: string, need: GpuNeed) => Promise<GpuAccessPlan>;
