/**
 * Pure parsers for what the kernel and the vendor tools print. No I/O here: every function takes
 * the text of one file or one command output, so tests feed them recorded content.
 */
import type { GpuVendor } from './types.js';

const VENDOR_IDS: Record<number, GpuVendor> = { 4318: 'nvidia', 4098: 'amd', 32902: 'intel' };
export const VENDOR_NAMES: Record<GpuVendor, string> = { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel' };
/** CUDA first: when a box has an NVIDIA card next to an integrated GPU, services want the card. */
export const VENDOR_PREFERENCE: GpuVendor[] = ['nvidia', 'amd', 'intel'];

/** sysfs writes ids as `0x10de\n`. */
export function parseHex(text: string | undefined): number | undefined {
  const m = text?.trim().match(/^0x([0-9a-f]+)$/i);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}

/**
 * Which PCI functions are accelerators: display controllers (class 0x03: VGA, 3D, other) from the
 * three vendors, and AMD's "processing accelerator" class (0x12, Instinct MI300). Intel's 0x12
 * devices are NPUs, not GPUs, so they stay out.
 */
export function acceleratorVendor(vendorId: number, classCode: number): GpuVendor | undefined {
  const vendor = VENDOR_IDS[vendorId];
  const base = classCode >> 16;
  if (!vendor) return undefined;
  if (base === 0x03) return vendor;
  if (base === 0x12 && vendor === 'amd') return vendor;
  return undefined;
}

/**
 * One spelling for PCI addresses: the kernel's `0000:c1:00.0`. nvidia-smi prints an 8-digit
 * domain in upper case (`00000000:C1:00.0`), rocm-smi upper case.
 */
export function normalizePciAddress(text: string): string | undefined {
  const m = text.trim().match(/^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i);
  if (!m) return undefined;
  const hex = (s: string, width: number) => Number.parseInt(s, 16).toString(16).padStart(width, '0');
  return `${hex(m[1] ?? '0', 4)}:${hex(m[2]!, 2)}:${hex(m[3]!, 2)}.${m[4]}`;
}

/**
 * The driver version from /proc/driver/nvidia/version, for both module flavours:
 * `NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 …` and
 * `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build …`.
 */
export function parseNvidiaVersion(text: string): string | undefined {
  return text.match(/^NVRM version:.*?Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)/m)?.[1];
}

/** `Key:   value` lines (the format of /proc/driver/nvidia/gpus/ADDR/information). */
export function parseKeyValueLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return out;
}

export interface NvidiaGpuInformation {
  model?: string;
  uuid?: string;
  /** The N of /dev/nvidiaN. */
  minor?: number;
}

export function parseNvidiaInformation(text: string): NvidiaGpuInformation {
  const kv = parseKeyValueLines(text);
  const minor = Number.parseInt(kv.get('device minor') ?? '', 10);
  return {
    model: kv.get('model') || undefined,
    uuid: kv.get('gpu uuid') || undefined,
    minor: Number.isInteger(minor) ? minor : undefined,
  };
}

/** The query `nvidia-smi` is run with; parseNvidiaSmiCsv expects exactly these columns. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=name,pci.bus_id,memory.total,driver_version,uuid',
  '--format=csv,noheader',
];

export interface ToolGpuInfo {
  pciAddress: string;
  model?: string;
  memoryBytes?: number;
  driverVersion?: string;
  uuid?: string;
}

const MEMORY_UNITS: Record<string, number> = { B: 1, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30 };

/** `81559 MiB` → bytes; `[N/A]` and anything unexpected → undefined. */
function parseMemory(text: string): number | undefined {
  const m = text.trim().match(/^(\d+)\s*([KMG]?i?B)$/i);
  const unit = m ? MEMORY_UNITS[m[2]!.toUpperCase()] : undefined;
  return m && unit ? Number(m[1]) * unit : undefined;
}

const known = (v: string | undefined) => (v && !/^\[?N\/A\]?$/i.test(v) ? v : undefined);

/** Lines like `NVIDIA H100 80GB HBM3, 00000000:01:00.0, 81559 MiB, 550.54.15, GPU-…`. */
export function parseNvidiaSmiCsv(text: string): ToolGpuInfo[] {
  const out: ToolGpuInfo[] = [];
  for (const line of text.split('\n')) {
    // Model names have no commas; split from the right so a future one with a comma stays whole.
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 5) continue;
    const [uuid, driverVersion, memory, bus] = cols.splice(-4).reverse();
    const pciAddress = normalizePciAddress(bus ?? '');
    if (!pciAddress) continue;
    out.push({
      pciAddress,
      model: known(cols.join(', ')),
      memoryBytes: parseMemory(memory ?? ''),
      driverVersion: known(driverVersion),
      uuid: known(uuid),
    });
  }
  return out;
}

/** The query `rocm-smi` is run with; parseRocmSmiJson reads the keys these flags produce. */
export const ROCM_SMI_ARGS = [
  '--showproductname',
  '--showbus',
  '--showmeminfo',
  'vram',
  '--showdriverversion',
  '--json',
];

/**
 * rocm-smi --json: `{"card0": {"PCI Bus": "0000:83:00.0", "Card series": "…", "VRAM Total Memory (B)":
 * "…"}, "system": {"Driver version": "6.3.6"}}`. Key case changed between ROCm releases, so keys
 * are matched case-insensitively.
 */
export function parseRocmSmiJson(text: string): ToolGpuInfo[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object') return [];
  const lower = (o: unknown) =>
    new Map(
      Object.entries(o && typeof o === 'object' ? o : {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
  const driverVersion = known(lower((doc as Record<string, unknown>).system).get('driver version'));
  const out: ToolGpuInfo[] = [];
  for (const [key, card] of Object.entries(doc)) {
    if (!/^card\d+$/.test(key)) continue;
    const kv = lower(card);
    const pciAddress = normalizePciAddress(kv.get('pci bus') ?? '');
    if (!pciAddress) continue;
    const vram = Number(kv.get('vram total memory (b)'));
    out.push({
      pciAddress,
      model: known(kv.get('card series')),
      memoryBytes: Number.isSafeInteger(vram) && vram > 0 ? vram : undefined,
      driverVersion,
    });
  }
  return out;
}

/**
 * Name of a device in pci.ids (the database lspci uses): vendor lines at column 0, their devices
 * indented by one tab. Ids are 4 lower-case hex digits.
 */
export function lookupPciIds(ids: string, vendorId: number, deviceId: number): string | undefined {
  const vendor = `${vendorId.toString(16).padStart(4, '0')}  `;
  const device = `\t${deviceId.toString(16).padStart(4, '0')}  `;
  const start = ids.startsWith(vendor) ? 0 : ids.indexOf(`\n${vendor}`);
  if (start < 0) return undefined;
  const lines = ids.slice(start).split('\n');
  for (const line of lines.slice(lines[0] === '' ? 2 : 1)) {
    if (line !== '' && !line.startsWith('\t') && !line.startsWith('#')) break;
    if (line.startsWith(device)) return line.slice(device.length).trim();
  }
  return undefined;
}

/**
 * A short model name from a database name: `GH100[H100 SXM5 80GB]` → `NVIDIA H100 SXM5 80GB`,
 * `Aldebaran/MI200 [Instinct MI210]` → `AMD Instinct MI210` (the bracket holds the marketing name).
 */
export function marketingName(vendor: GpuVendor, name: string): string {
  const inner = name.match(/\[([^\]]+)\]\s*$/)?.[1] ?? name;
  const prefix = VENDOR_NAMES[vendor];
  return inner.toLowerCase().startsWith(prefix.toLowerCase()) ? inner : `${prefix} ${inner}`;
}
