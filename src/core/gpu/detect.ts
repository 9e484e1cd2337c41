/**
 * GPU detection: the kernel's own view first (PCI devices in sysfs, the NVIDIA driver's /proc
 * files, device nodes, CDI specs), so it works with no vendor tool installed; then nvidia-smi and
 * rocm-smi, when present, fill in names and memory.
 */
import path from 'node:path';
import { CDI_DIRS, type CdiSpec } from './cdi.js';
import { type HostFs, rootedFs } from './host.js';
import {
  acceleratorVendor,
  lookupPciIds,
  marketingName,
  NVIDIA_SMI_ARGS,
  parseHex,
  parseNvidiaInformation,
  parseNvidiaSmiCsv,
  parseNvidiaVersion,
  parseRocmSmiJson,
  ROCM_SMI_ARGS,
  type ToolGpuInfo,
  VENDOR_NAMES,
} from './parse.js';
import { containerReadiness } from './readiness.js';
import { detectTegraGpu } from './tegra.js';
import { execaRunner, type ToolRunner } from './tools.js';
import type { Accelerator, GpuDriver, GpuReport, GpuVendor, ToolReport } from './types.js';

export interface DetectOptions {
  /**
   * Runs vendor tools. Left out: the real runner when root is `/`, none under any other root (the
   * host's tools would describe this machine, not that tree). null: never run tools.
   */
  runner?: ToolRunner | null;
  /** Deadline for each vendor tool with the default runner. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function detectGpus(root: string, opts: DetectOptions = {}): Promise<GpuReport> {
  const runner =
    opts.runner !== undefined
      ? opts.runner
      : path.resolve(root) === '/'
        ? execaRunner({ timeoutMs: opts.timeoutMs, signal: opts.signal })
        : null;
  return detectWith(rootedFs(root), runner);
}

const NVIDIA_SHARED_NODES = [
  '/dev/nvidiactl',
  '/dev/nvidia-uvm',
  '/dev/nvidia-uvm-tools',
  '/dev/nvidia-modeset',
];
const PCI_IDS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

/** What detection learns about one accelerator before deciding readiness. */
interface Found {
  acc: Omit<Accelerator, 'container'>;
  nvidiaNode?: string;
  renderNodes: string[];
  present: Set<string>;
}

export async function detectWith(fs: HostFs, runner: ToolRunner | null): Promise<GpuReport> {
  const cdiSpecs = await readCdiSpecs(fs);
  const found: Found[] = [];
  let pciIds: Promise<string | undefined> | undefined;
  const names = () => {
    pciIds ??= (async () => (await fs.read(PCI_IDS[0]!)) ?? (await fs.read(PCI_IDS[1]!)))();
    return pciIds;
  };
  for (const address of await fs.list('/sys/bus/pci/devices')) {
    const dev = `/sys/bus/pci/devices/${address}`;
    const vendorId = parseHex(await fs.read(`${dev}/vendor`));
    const deviceId = parseHex(await fs.read(`${dev}/device`));
    const classCode = parseHex(await fs.read(`${dev}/class`));
    if (vendorId === undefined || deviceId === undefined || classCode === undefined) continue;
    const vendor = acceleratorVendor(vendorId, classCode);
    if (vendor) found.push(await inspect(fs, dev, address, vendor, vendorId, deviceId, names));
  }

  // Both tools at once: a box with both vendors waits for one deadline, not two.
  const nvidia = found.filter((f) => f.acc.driver?.name === 'nvidia');
  const amd = found.filter((f) => f.acc.driver?.name === 'amdgpu');
  const tools: ToolReport[] = runner
    ? await Promise.all([
        ...(nvidia.length > 0
          ? [enrich(runner, 'nvidia-smi', NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, nvidia)]
          : []),
        ...(amd.length > 0 ? [enrich(runner, 'rocm-smi', ROCM_SMI_ARGS, parseRocmSmiJson, amd)] : []),
      ])
    : [];

  const accelerators = found.map(
    (f): Accelerator => ({
      ...f.acc,
      container: containerReadiness({
        vendor: f.acc.vendor,
        pciAddress: f.acc.pciAddress,
        driver: f.acc.driver,
        nvidiaNode: f.nvidiaNode,
        uuid: f.acc.uuid,
        present: f.present,
        renderNodes: f.renderNodes,
        cdiSpecs,
      }),
    }),
  );
  // A Jetson's GPU is a platform device, not PCI (tegra.ts).
  const tegra = await detectTegraGpu(fs, cdiSpecs);
  if (tegra) accelerators.push(tegra);
  return {
    accelerators,
    tools,
    cdiSpecs: cdiSpecs.map(({ path, kind, devices, error }) => ({
      path,
      ...(kind ? { kind } : {}),
      devices,
      ...(error ? { error } : {}),
    })),
  };
}

async function readCdiSpecs(fs: HostFs): Promise<CdiSpec[]> {
  const specs: CdiSpec[] = [];
  for (const dir of CDI_DIRS)
    for (const name of await fs.list(dir)) {
      if (!/\.(ya?ml|json)$/.test(name)) continue;
      const text = await fs.read(`${dir}/${name}`);
      if (text === undefined) continue;
      const { parseCdiSpec } = await import('./cdi-parse.js');
      specs.push(parseCdiSpec(text, `${dir}/${name}`));
    }
  return specs;
}

async function inspect(
  fs: HostFs,
  dev: string,
  address: string,
  vendor: GpuVendor,
  vendorId: number,
  deviceId: number,
  pciIds: () => Promise<string | undefined>,
): Promise<Found> {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  const driverLink = await fs.link(`${dev}/driver`);
  const driver = driverLink ? await driverInfo(fs, path.basename(driverLink)) : null;

  const info =
    driver?.name === 'nvidia'
      ? parseNvidiaInformation((await fs.read(`/proc/driver/nvidia/gpus/${address}/information`)) ?? '')
      : {};
  const nvidiaNode = info.minor !== undefined ? `/dev/nvidia${info.minor}` : undefined;
  const drmNames = (await fs.list(`${dev}/drm`)).filter((n) => /^(card|renderD)\d+$/.test(n));
  const candidates = [
    ...(vendor === 'nvidia' && nvidiaNode ? [nvidiaNode, ...NVIDIA_SHARED_NODES] : []),
    ...(vendor === 'amd' ? ['/dev/kfd'] : []),
    ...drmNames.map((n) => `/dev/dri/${n}`),
  ];
  const present = new Set<string>();
  for (const node of candidates) if (await fs.exists(node)) present.add(node);

  // amdgpu publishes the board's name (from its FRU EEPROM) and VRAM size in sysfs.
  const productName = vendor === 'amd' ? (await fs.read(`${dev}/product_name`))?.trim() : undefined;
  const vram = vendor === 'amd' ? Number((await fs.read(`${dev}/mem_info_vram_total`))?.trim()) : Number.NaN;
  const idsName =
    info.model || productName ? undefined : lookupPciIds((await pciIds()) ?? '', vendorId, deviceId);
  const model =
    info.model ||
    productName ||
    (idsName
      ? marketingName(vendor, idsName)
      : `${VENDOR_NAMES[vendor]} device ${hex(vendorId)}:${hex(deviceId)}`);

  return {
    acc: {
      vendor,
      model,
      pciAddress: address,
      pciId: `${hex(vendorId)}:${hex(deviceId)}`,
      memoryBytes: Number.isSafeInteger(vram) && vram > 0 ? vram : null,
      driver,
      deviceNodes: candidates.filter((n) => present.has(n)),
      ...(info.uuid ? { uuid: info.uuid } : {}),
    },
    nvidiaNode,
    renderNodes: drmNames
      .filter((n) => n.startsWith('renderD'))
      .map((n) => `/dev/dri/${n}`)
      .filter((n) => present.has(n)),
    present,
  };
}

/**
 * Out-of-tree modules (nvidia, amdgpu-dkms) carry their own version in /sys/module/NAME/version;
 * drivers that ship with the kernel are versioned by the kernel release.
 */
async function driverInfo(fs: HostFs, name: string): Promise<GpuDriver> {
  if (name === 'nvidia') {
    const proc = await fs.read('/proc/driver/nvidia/version');
    const version =
      (proc && parseNvidiaVersion(proc)) || (await fs.read('/sys/module/nvidia/version'))?.trim();
    return { name, version: version || null, inTree: false };
  }
  const own = (await fs.read(`/sys/module/${name}/version`))?.trim();
  if (own) return { name, version: own, inTree: false };
  const kernel = (await fs.read('/proc/sys/kernel/osrelease'))?.trim();
  return { name, version: kernel || null, inTree: true };
}

/** Runs one vendor tool and fills in what the kernel view lacks; the tool's model name wins. */
async function enrich(
  runner: ToolRunner,
  tool: ToolReport['tool'],
  args: string[],
  parse: (text: string) => ToolGpuInfo[],
  targets: Found[],
): Promise<ToolReport> {
  const result = await runner(tool, args);
  if (result.status !== 'ok') return { tool, status: result.status, detail: result.detail };
  const infos = parse(result.stdout);
  if (infos.length === 0) return { tool, status: 'failed', detail: `${tool} printed nothing we understand` };
  let matched = 0;
  for (const info of infos) {
    const target = targets.find((t) => t.acc.pciAddress === info.pciAddress);
    if (!target) continue;
    matched++;
    const acc = target.acc;
    if (info.model) acc.model = marketingName(acc.vendor, info.model);
    acc.memoryBytes ??= info.memoryBytes ?? null;
    if (acc.driver && !acc.driver.version && info.driverVersion) acc.driver.version = info.driverVersion;
    if (!acc.uuid && info.uuid) acc.uuid = info.uuid;
  }
  return {
    tool,
    status: 'ok',
    detail: `${tool} reported ${infos.length} GPU(s), ${matched} matched by PCI address`,
  };
}
