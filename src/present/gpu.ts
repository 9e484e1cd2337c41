/** Human text for `blueprint gpu`, the TUI's GPU panel and the web's GPU page. */
import type { Accelerator, GpuReport } from '../app/index.js';
import { VENDOR_NAMES, VENDOR_PREFERENCE } from '../core/gpu/parse.js';
import type { GpuRuntime } from '../core/gpu/types.js';
import { bytes } from './units.js';

export const RUNTIME_NAMES: Record<GpuRuntime, string> = {
  cuda: 'CUDA',
  rocm: 'ROCm',
  'level-zero': 'Level Zero',
};

/** The container line: what is ready, or what is missing and the fix (`reason: fix`). */
export function readinessLine(acc: Accelerator): string {
  const c = acc.container;
  return c.ready ? c.reason : `not ready: ${c.reason}${c.fix ? `: ${c.fix}` : ''}`;
}

export function formatAccelerator(acc: Accelerator): string {
  const driver = acc.driver
    ? `${acc.driver.name}${acc.driver.version ? ` ${acc.driver.version}` : ''}${acc.driver.inTree ? ' (in-tree)' : ''}`
    : 'none bound';
  const rows: [string, string][] = [
    ['memory', bytes(acc.memoryBytes)],
    ['driver', driver],
    ['nodes', acc.deviceNodes.join(' ') || 'none'],
    ['container', readinessLine(acc)],
  ];
  if (acc.uuid) rows.splice(3, 0, ['uuid', acc.uuid]);
  return [
    `${acc.pciAddress}  ${acc.model}  [${acc.pciId}]`,
    ...rows.map(([k, v]) => `  ${k.padEnd(11)}${v}`),
  ].join('\n');
}

/** One line for dashboards: the accelerator services would use, and whether they can. */
export function gpuSummary(report: GpuReport): string {
  const accs = report.accelerators;
  if (accs.length === 0) return 'no GPU: services run on CPU';
  const rank = (a: Accelerator) => VENDOR_PREFERENCE.indexOf(a.vendor);
  const ready = accs.filter((a) => a.container.ready).sort((a, b) => rank(a) - rank(b));
  const shown = ready[0] ?? accs[0]!;
  const more = accs.length > 1 ? ` (+${accs.length - 1} more)` : '';
  return ready.length > 0
    ? `${shown.model}${more}: ${RUNTIME_NAMES[shown.container.runtime]} ready`
    : `${shown.model}${more}: not usable (${shown.container.reason})`;
}

/**
 * No GPU: what was looked at (a GPU the kernel does not show is the machine's matter, not
 * blueprint's), and what the llm module needs to offload to one, which a user coming from Ollama
 * (which takes the host's GPU as it is) asks next.
 */
const NO_GPU = [
  'No GPU found: AI services run on CPU.',
  "Looked at the PCI devices (/sys/bus/pci/devices) and a Jetson's GPU: none is a display or 3D controller. A GPU in the machine but not seen here is one its kernel does not show (`lspci -nn | grep -Ei 'vga|3d|display'`; enabled in the firmware?).",
  'With an NVIDIA GPU the llm module offloads to it once the host has the NVIDIA driver and a CDI spec (`nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`) and llm is its CUDA variant (modules/llm/README.md, "GPU"); then this command says "usable by containers".',
];

export function formatReport(report: GpuReport): string {
  const lines: string[] = [];
  if (report.accelerators.length === 0) lines.push(...NO_GPU);
  for (const acc of report.accelerators) lines.push(formatAccelerator(acc), '');
  for (const spec of report.cdiSpecs.filter((s) => s.error))
    lines.push(`CDI spec ${spec.path} ignored: ${spec.error}`);
  for (const t of report.tools.filter((t) => t.status !== 'ok')) lines.push(`${t.tool}: ${t.detail}`);
  if (report.accelerators.length > 0) {
    const ready = report.accelerators.filter((a) => a.container.ready).length;
    lines.push(`${report.accelerators.length} GPU(s), ${ready} usable by containers.`);
  }
  return lines.join('\n');
}

/** One row per GPU for tables (the TUI dashboard and setup wizard): vendor, model, readiness line. */
export function gpuRows(report: GpuReport): { vendor: string; name: string; detail: string }[] {
  return report.accelerators.map((a) => ({
    vendor: VENDOR_NAMES[a.vendor],
    name: a.model,
    detail: readinessLine(a),
  }));
}
