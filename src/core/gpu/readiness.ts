/**
 * Can a container use this accelerator? Pure decision over what detection found, giving the first
 * thing missing with the exact step that fixes it. Order matters: a GPU without its driver gets
 * "install the driver", not "generate a CDI spec".
 */
import path from 'node:path';
import { type CdiSpec, findCdiDevice } from './cdi.js';
import type { ContainerReadiness, GpuDriver, GpuVendor } from './types.js';

export const NVIDIA_CDI_KIND = 'nvidia.com/gpu';
const DEFAULT_NVIDIA_SPEC = '/etc/cdi/nvidia.yaml';

export interface ReadinessFacts {
  vendor: GpuVendor;
  pciAddress: string;
  driver: GpuDriver | null;
  /** NVIDIA: /dev/nvidiaN of this GPU, when the driver reports its minor number. */
  nvidiaNode?: string;
  uuid?: string;
  /** Every device node path that exists on the host (checked by detection). */
  present: Set<string>;
  /** Render nodes (/dev/dri/renderD*) of this PCI device that exist. */
  renderNodes: string[];
  cdiSpecs: CdiSpec[];
}

const notReady = (
  runtime: ContainerReadiness['runtime'],
  reason: string,
  fix: string,
): ContainerReadiness => ({
  runtime,
  ready: false,
  reason,
  fix,
});

const VFIO_FIX =
  'release it from vfio-pci (drop its id from `vfio-pci.ids=` on the kernel command line or in /etc/modprobe.d) and reboot';

/** The common first check: is the right kernel driver bound? Returns a verdict only when it is not. */
function driverProblem(
  facts: ReadinessFacts,
  runtime: ContainerReadiness['runtime'],
  wanted: string[],
  installFix: string,
): ContainerReadiness | undefined {
  const name = facts.driver?.name;
  if (name && wanted.includes(name)) return undefined;
  const what = { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel' }[facts.vendor];
  if (!name) return notReady(runtime, `no kernel driver is bound to this ${what} GPU`, installFix);
  if (name === 'vfio-pci')
    return notReady(runtime, 'bound to vfio-pci (reserved for a virtual machine)', VFIO_FIX);
  return notReady(runtime, `bound to ${name}, not ${wanted.join(' or ')}`, installFix);
}

function nvidiaReadiness(facts: ReadinessFacts): ContainerReadiness {
  const install =
    'install the NVIDIA driver (Debian: `apt install nvidia-driver` from non-free; it blacklists nouveau) and reboot';
  const problem = driverProblem(facts, 'cuda', ['nvidia'], install);
  if (problem)
    return facts.driver?.name === 'nouveau'
      ? { ...problem, reason: 'bound to nouveau, which has no CUDA' }
      : problem;
  if (!facts.nvidiaNode)
    return notReady(
      'cuda',
      `NVIDIA driver bound but /proc/driver/nvidia/gpus/${facts.pciAddress} is missing`,
      'reload the driver (`modprobe -r nvidia_uvm nvidia_drm nvidia_modeset nvidia && modprobe nvidia`) or reboot',
    );
  const missing = [facts.nvidiaNode, '/dev/nvidiactl'].filter((n) => !facts.present.has(n));
  if (missing.length > 0)
    return notReady(
      'cuda',
      `NVIDIA driver loaded but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
      'create the device nodes: run `nvidia-modprobe -u -c 0` (or `nvidia-smi` once as root)',
    );

  const nvidiaSpecs = facts.cdiSpecs.filter(
    (s) => s.kind === NVIDIA_CDI_KIND || (s.error && /nvidia/i.test(path.basename(s.path))),
  );
  const generate = (out: string) => `run \`nvidia-ctk cdi generate --output ${out}\``;
  if (nvidiaSpecs.length === 0)
    return notReady('cuda', 'NVIDIA driver loaded but no CDI spec', generate(DEFAULT_NVIDIA_SPEC));
  const match = findCdiDevice(nvidiaSpecs, NVIDIA_CDI_KIND, { node: facts.nvidiaNode, uuid: facts.uuid });
  if (!match) {
    const broken = nvidiaSpecs.find((s) => s.error);
    const spec = broken ?? nvidiaSpecs[0]!;
    const reason = broken
      ? `CDI spec ${spec.path} is unusable: ${broken.error}`
      : `CDI spec ${spec.path} does not list ${facts.nvidiaNode} (generated before this GPU was added?)`;
    return notReady('cuda', reason, generate(spec.path));
  }
  const loaded = facts.driver?.version;
  const pinned = match.spec.libraryVersions;
  if (loaded && pinned.length > 0 && !pinned.includes(loaded))
    return notReady(
      'cuda',
      `CDI spec ${match.spec.path} was generated for driver ${pinned.join(', ')} but ${loaded} is loaded`,
      generate(match.spec.path),
    );
  return {
    runtime: 'cuda',
    ready: true,
    reason: `CUDA ready through CDI ${match.device} (${match.spec.path})`,
    cdiDevice: match.device,
    ...(match.all ? { cdiAll: match.all } : {}),
    cdiSpec: match.spec.path,
  };
}

function amdReadiness(facts: ReadinessFacts): ContainerReadiness {
  const install = 'load amdgpu: run `modprobe amdgpu` (firmware: `apt install firmware-amd-graphics`)';
  const problem = driverProblem(facts, 'rocm', ['amdgpu'], install);
  if (problem) return problem;
  if (!facts.present.has('/dev/kfd'))
    return notReady(
      'rocm',
      'amdgpu loaded but /dev/kfd is missing (no ROCm compute interface)',
      'boot a kernel built with CONFIG_HSA_AMD=y (Debian’s stock kernel has it), then `modprobe amdgpu`',
    );
  if (facts.renderNodes.length === 0)
    return notReady(
      'rocm',
      'amdgpu loaded but this GPU has no /dev/dri render node',
      'check `dmesg | grep amdgpu` for firmware errors (`apt install firmware-amd-graphics`) and reboot',
    );
  return {
    runtime: 'rocm',
    ready: true,
    reason: `ROCm ready: /dev/kfd + ${facts.renderNodes.join(' ')}`,
  };
}

function intelReadiness(facts: ReadinessFacts): ContainerReadiness {
  const install = 'load the driver: run `modprobe i915` (firmware: `apt install firmware-misc-nonfree`)';
  const problem = driverProblem(facts, 'level-zero', ['i915', 'xe'], install);
  if (problem) return problem;
  if (facts.renderNodes.length === 0)
    return notReady(
      'level-zero',
      `${facts.driver!.name} loaded but this GPU has no /dev/dri render node`,
      `check \`dmesg | grep ${facts.driver!.name}\` for firmware errors (\`apt install firmware-misc-nonfree\`) and reboot`,
    );
  return {
    runtime: 'level-zero',
    ready: true,
    reason: `Level Zero ready: ${facts.renderNodes.join(' ')} (group render)`,
  };
}

export function containerReadiness(facts: ReadinessFacts): ContainerReadiness {
  if (facts.vendor === 'nvidia') return nvidiaReadiness(facts);
  if (facts.vendor === 'amd') return amdReadiness(facts);
  return intelReadiness(facts);
}
