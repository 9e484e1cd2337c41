/**
 * NVIDIA Jetson (Tegra SoC) integrated GPUs. They are not PCI devices, so the PCI scan of detect.ts
 * never sees them: the GPU is a platform device driven by `nvgpu`, its clock is a devfreq device
 * named after its unit address (`17000000.gpu` on Orin with Jetson Linux 36, `17000000.ga10b` on
 * 35, `17000000.gv11b` Xavier, `57000000.gpu` Nano), and user space reaches it through nvgpu's and
 * nvmap's device nodes instead of /dev/nvidiaN. Memory is the SoC's, shared with the CPU.
 *
 * A box is Tegra when the NVIDIA Container Toolkit would call it so: /etc/nv_tegra_release exists or
 * /sys/devices/soc0/family says tegra. Containers then get the GPU through a CDI spec generated in
 * the toolkit's CSV mode (`nvidia-ctk cdi generate --mode=csv`), whose one device is `all`.
 */
import type { CdiSpec } from './cdi.js';
import type { HostFs } from './host.js';
import { NVIDIA_CDI_KIND } from './readiness.js';
import type { Accelerator, ContainerReadiness } from './types.js';

/** The devfreq names of the GPU: `UNITADDR.gpu` or `UNITADDR.<GPU architecture name>`. */
const GPU_DEVFREQ = /^[0-9a-f]+\.(gpu|gk20a|gm20b|gp10b|gv11b|ga10b|gb10b)$/;

/** SoC (device-tree compatible) → GPU name, for boards whose model string says neither. */
const SOCS: Record<string, string> = {
  'nvidia,tegra264': 'Thor',
  'nvidia,tegra234': 'Orin (Ampere)',
  'nvidia,tegra194': 'Xavier (Volta)',
  'nvidia,tegra186': 'TX2 (Pascal)',
  'nvidia,tegra210': 'X1 (Maxwell)',
};

/**
 * The device nodes a CUDA program opens on Jetson: nvmap (memory) on every release; the GPU through
 * /dev/nvgpu/igpu0/* on Jetson Linux 36 (upstream-style nvgpu) or /dev/nvhost-*-gpu before it.
 */
const NODES = [
  '/dev/nvmap',
  '/dev/nvgpu/igpu0/ctrl',
  '/dev/nvgpu/igpu0/as',
  '/dev/nvgpu/igpu0/channel',
  '/dev/nvgpu/igpu0/tsg',
  '/dev/nvhost-ctrl-gpu',
  '/dev/nvhost-gpu',
  '/dev/nvhost-as-gpu',
  '/dev/nvhost-ctrl',
];
const GPU_CONTROL = ['/dev/nvgpu/igpu0/ctrl', '/dev/nvhost-ctrl-gpu'];

const DEFAULT_SPEC = '/etc/cdi/nvidia.yaml';
const GENERATE = `run \`nvidia-ctk cdi generate --mode=csv --output ${DEFAULT_SPEC}\``;

/** Strings of a device-tree property (NUL-separated, NUL-terminated). */
const dtStrings = (text: string | undefined) => (text ?? '').split('\0').filter(Boolean);

/** `# R36 (release), REVISION: 3.0, ...` → `36.3.0`. */
export function parseTegraRelease(text: string): string | undefined {
  const m = /^#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)\.(\d+)/m.exec(text);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The Jetson's integrated GPU, or null when this is not a Tegra box or it exposes no GPU. */
export async function detectTegraGpu(fs: HostFs, cdiSpecs: CdiSpec[]): Promise<Accelerator | null> {
  const release = await fs.read('/etc/nv_tegra_release');
  const family = (await fs.read('/sys/devices/soc0/family'))?.trim().toLowerCase();
  if (release === undefined && family !== 'tegra') return null;

  const devfreq = (await fs.list('/sys/class/devfreq')).find((n) => GPU_DEVFREQ.test(n));
  if (!devfreq) return null;

  const compatible = dtStrings(await fs.read('/proc/device-tree/compatible'));
  const soc = compatible.find((c) => c in SOCS);
  const board = dtStrings(await fs.read('/proc/device-tree/model'))[0]?.trim();
  const model = board
    ? `${board} integrated GPU`
    : `NVIDIA Tegra ${soc ? SOCS[soc] : devfreq.split('.')[1]} integrated GPU`;

  // nvgpu is an out-of-tree module on Jetson Linux 36 and built in before: /sys/module/nvgpu
  // exists either way once it is up. Its version is the Jetson Linux release it came with.
  const loaded = (await fs.list('/sys/module/nvgpu')).length > 0;
  const version =
    (await fs.read('/sys/module/nvgpu/version'))?.trim() || (release && parseTegraRelease(release));
  const driver = loaded ? { name: 'nvgpu', version: version || null, inTree: false } : null;

  const present: string[] = [];
  for (const node of NODES) if (await fs.exists(node)) present.push(node);

  return {
    vendor: 'nvidia',
    model,
    // Not PCI: the platform device's unit address, as its devfreq and sysfs name it.
    pciAddress: `platform:${devfreq}`,
    pciId: soc ?? 'tegra',
    memoryBytes: null,
    driver,
    deviceNodes: present,
    container: tegraReadiness(driver !== null, present, cdiSpecs),
  };
}

function tegraReadiness(loaded: boolean, present: string[], cdiSpecs: CdiSpec[]): ContainerReadiness {
  const notReady = (reason: string, fix: string): ContainerReadiness => ({
    runtime: 'cuda',
    ready: false,
    reason,
    fix,
  });
  if (!loaded)
    return notReady(
      'nvgpu is not loaded (no /sys/module/nvgpu)',
      'run `modprobe nvgpu`, or reflash with the Jetson Linux BSP that matches this board',
    );
  const absent = [
    ...(present.includes('/dev/nvmap') ? [] : ['/dev/nvmap']),
    ...(GPU_CONTROL.some((n) => present.includes(n)) ? [] : [GPU_CONTROL[0]!]),
  ];
  if (absent.length > 0)
    return notReady(
      `nvgpu loaded but ${absent.join(' and ')} ${absent.length > 1 ? 'are' : 'is'} missing`,
      'check `dmesg | grep -i nvgpu` for a firmware error and reboot',
    );
  const specs = cdiSpecs.filter((s) => s.kind === NVIDIA_CDI_KIND && !s.error);
  const spec = specs.find((s) => s.entries.some((e) => e.name === 'all'));
  if (!spec) {
    const broken = cdiSpecs.find((s) => s.error && /nvidia/i.test(s.path));
    return notReady(
      broken ? `CDI spec ${broken.path} is unusable: ${broken.error}` : 'nvgpu loaded but no CDI spec',
      GENERATE,
    );
  }
  return {
    runtime: 'cuda',
    ready: true,
    reason: `CUDA ready through CDI ${NVIDIA_CDI_KIND}=all (${spec.path})`,
    cdiDevice: `${NVIDIA_CDI_KIND}=all`,
    cdiAll: `${NVIDIA_CDI_KIND}=all`,
    cdiSpec: spec.path,
  };
}
