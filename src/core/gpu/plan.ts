/**
 * What a service's container gets for GPU access. The services module applies the plan verbatim:
 * CDI names go to the libpod create call's `devices`; device nodes are passed through as they are,
 * and the container's group gets an ACL entry on them. Nothing else about the sandbox changes.
 */
import { BlueprintError } from '../errors.js';
import { detectGpus } from './detect.js';
import { VENDOR_PREFERENCE } from './parse.js';
import type { Accelerator, GpuAccessPlan, GpuNeed, GpuReport, PlanGpuAccess } from './types.js';

export const NO_GPU_REASON = 'no usable GPU: running on CPU';

const none = (reason: string): GpuAccessPlan => ({
  use: false,
  cdiDevices: [],
  devices: [],
  reason,
});

/** Reads the host under `root` (kernel view and CDI specs; no vendor tools) and plans from it. */
export const planGpuAccess: PlanGpuAccess = async (root, need) => {
  if (need === 'none') return none('service does not use a GPU');
  return planFromReport(await detectGpus(root, { runner: null }), need);
};

export function planFromReport(report: GpuReport, need: GpuNeed): GpuAccessPlan {
  if (need === 'none') return none('service does not use a GPU');
  const ready = report.accelerators.filter((a) => a.container.ready);
  const vendor = VENDOR_PREFERENCE.find((v) => ready.some((a) => a.vendor === v));
  if (!vendor) {
    if (need === 'required') throw gpuRequired(report.accelerators);
    return none(NO_GPU_REASON);
  }
  const chosen = ready.filter((a) => a.vendor === vendor);
  const names = chosen.map((a) => a.model).join(', ');
  if (vendor === 'nvidia') {
    // `=all` when it covers exactly the ready GPUs; otherwise name each one, so a broken GPU that
    // the spec's `all` would still include is left out.
    const all = chosen[0]!.container.cdiAll;
    const everyNvidiaReady = report.accelerators.every((a) => a.vendor !== 'nvidia' || a.container.ready);
    const cdiDevices =
      all && everyNvidiaReady && chosen.every((a) => a.container.cdiAll === all)
        ? [all]
        : chosen.map((a) => a.container.cdiDevice!);
    return {
      use: true,
      vendor,
      cdiDevices,
      devices: [],
      reason: `${names} through CDI ${cdiDevices.join(', ')}`,
    };
  }
  const render = chosen.flatMap((a) => a.deviceNodes.filter((n) => n.startsWith('/dev/dri/renderD')));
  const devices = vendor === 'amd' ? ['/dev/kfd', ...render] : render;
  return {
    use: true,
    vendor,
    cdiDevices: [],
    devices,
    reason: `${names} through ${devices.join(', ')}`,
  };
}

/** The error for `gpu: required` on a box without a usable GPU: names what is missing and the fix. */
function gpuRequired(accelerators: Accelerator[]): BlueprintError {
  if (accelerators.length === 0)
    return new BlueprintError(
      'This service needs a GPU, but no NVIDIA, AMD or Intel GPU was found on this box',
      'gpu-required',
      'Install it on a box with a supported GPU, or use a build of the module with `gpu: optional` to run on CPU.',
    );
  const why = accelerators.map((a) => `${a.model} (${a.pciAddress}): ${a.container.reason}`).join('; ');
  // Every accelerator that is not ready carries a fix; the preferred vendor's comes first.
  const fix =
    VENDOR_PREFERENCE.map((v) => accelerators.find((a) => a.vendor === v)?.container.fix).find(Boolean) ?? '';
  return new BlueprintError(
    `This service needs a GPU, but none is usable: ${why}`,
    'gpu-required',
    `${fix.charAt(0).toUpperCase()}${fix.slice(1)}, then start the service again (\`blueprint gpu\` shows every GPU).`,
  );
}
