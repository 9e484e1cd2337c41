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
  /**
   * Host device nodes to pass through, e.g. /dev/kfd, /dev/dri/renderD128. They belong to the
   * host's render/video groups, which a user namespace cannot carry in: the services module lets
   * the container's own group use them instead (device-access.ts).
   */
  devices: string[];
  /** One line for logs and `service inspect`: why this plan (or why no GPU). */
  reason: string;
}

/** Decides GPU access for a service; throws a BlueprintError (code `gpu-required`) when `required` cannot be met. */
export type PlanGpuAccess = (root: string, need: GpuNeed) => Promise<GpuAccessPlan>;

export type GpuVendor = 'nvidia' | 'amd' | 'intel';

/** The userspace stack a container would use on that accelerator. */
export type GpuRuntime = 'cuda' | 'rocm' | 'level-zero';

export interface GpuDriver {
  /** Kernel driver bound to the PCI device (the `driver` link): nvidia, nouveau, amdgpu, i915, xe, vfio-pci… */
  name: string;
  /** Module version; for drivers built into the kernel tree, the kernel release. */
  version: string | null;
  /** True when the driver ships with the kernel (no module version of its own). */
  inTree: boolean;
}

/** Whether a container can use the accelerator, and if not, the one thing to do about it. */
export interface ContainerReadiness {
  runtime: GpuRuntime;
  ready: boolean;
  /** One line: what was found (ready) or what is missing (not ready). */
  reason: string;
  /** The exact next step when not ready. */
  fix?: string;
  /** NVIDIA: the CDI name of this GPU (e.g. `nvidia.com/gpu=0`) and of all GPUs when the spec has it. */
  cdiDevice?: string;
  cdiAll?: string;
  /** NVIDIA: the spec file the names come from (host path). */
  cdiSpec?: string;
}

export interface Accelerator {
  vendor: GpuVendor;
  model: string;
  /** PCI address as the kernel writes it: 0000:01:00.0. */
  pciAddress: string;
  /** vendor:device, e.g. 10de:2330. */
  pciId: string;
  /** Dedicated memory in bytes; null when unknown (no vendor tool, or shared system memory). */
  memoryBytes: number | null;
  driver: GpuDriver | null;
  /** Device nodes of this accelerator that exist on the host (host paths, e.g. /dev/nvidia0). */
  deviceNodes: string[];
  uuid?: string;
  container: ContainerReadiness;
}

export type ToolStatus = 'ok' | 'missing' | 'failed' | 'timeout';

export interface ToolReport {
  tool: 'nvidia-smi' | 'rocm-smi';
  status: ToolStatus;
  /** What went wrong, or what the tool added. */
  detail: string;
}

export interface CdiSpecSummary {
  /** Host path of the spec file. */
  path: string;
  kind?: string;
  devices: string[];
  /** Why the spec cannot be used (container engines skip it too). */
  error?: string;
}

export interface GpuReport {
  accelerators: Accelerator[];
  /** Vendor tools that were run (none when the kernel view has no GPU for them, or tools were off). */
  tools: ToolReport[];
  cdiSpecs: CdiSpecSummary[];
}
