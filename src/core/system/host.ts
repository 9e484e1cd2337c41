import type { CpuInfo } from 'node:os';
import { hostArch } from '../version.js';

/** Taken when used: src/app/index.ts re-exports from here, and an import would load node:fs/promises
 * (readline, the REPL history) for every command that opens a box, `service start` among them (issue 20). */
const fsp = () => process.getBuiltinModule('node:fs/promises');
/** The same for node:os: an import loads it as the lazy part starts, in every `service start`. */
const nodeOs = () => process.getBuiltinModule('node:os');

/** Facts about the machine for the dashboard and `status`. Read-only, cheap, no subprocesses. */
export interface HostFacts {
  hostname: string;
  /** The CPU architecture as packages name it (x86_64, aarch64): the builds bpkg installs here. */
  arch: string;
  kernel: string;
  uptimeSeconds: number;
  cpu: { model: string; cores: number; load: [number, number, number] };
  memory: { totalBytes: number; availableBytes: number };
  /** The file system holding the root. */
  disk: { path: string; totalBytes: number; freeBytes: number };
}

/** MemAvailable (what can be used without swapping) rather than MemFree, which counts no cache. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | undefined {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total !== undefined && available !== undefined
    ? { totalBytes: total, availableBytes: available }
    : undefined;
}

/** A host name's most (hostname(7)): what is read of a root's etc/hostname. */
const HOSTNAME_MAX = 253;

/** What is read of a root's etc/hostname at most: a name and a line or two of comments. */
const HOSTNAME_FILE_MAX = 4096;

/**
 * The root's host name: its etc/hostname when it has one (a box being prepared), else this
 * machine's. The root may be an image being inspected, so the file is untrusted: read through the
 * tree's folders from its own down, no link of the tree followed (TREE/etc -> /elsewhere either),
 * judged before it is opened (a FIFO's writer is not woken, a device's driver not opened: an image's
 * watchdog node), 4 KiB at most, its first line only (a second one would be a line of its choosing
 * on the terminal), at most HOSTNAME_MAX characters.
 */
async function hostnameOf(root: string): Promise<string> {
  if (root === '/') return nodeOs().hostname();
  const { readFileBeneath } = await import('./beneath.js');
  const r = await readFileBeneath(root, 'etc/hostname', HOSTNAME_FILE_MAX).catch(() => undefined);
  if (!r?.ok) return nodeOs().hostname();
  const first = r.bytes.toString('utf8').split('\n')[0]!.trim();
  return first.slice(0, HOSTNAME_MAX) || nodeOs().hostname();
}

export async function hostFacts(root: string): Promise<HostFacts> {
  const os = nodeOs();
  const cpus = os.cpus();
  const mem = parseMeminfo(
    await fsp()
      .readFile('/proc/meminfo', 'utf8')
      .catch(() => ''),
  ) ?? {
    totalBytes: os.totalmem(),
    availableBytes: os.freemem(),
  };
  const fs = await fsp().statfs(root);
  const [l1, l5, l15] = os.loadavg();
  return {
    hostname: await hostnameOf(root),
    arch: hostArch(),
    kernel: `${os.type()} ${os.release()}`,
    uptimeSeconds: Math.round(os.uptime()),
    cpu: {
      model: cpus[0]?.model.trim() ?? 'unknown',
      cores: cpus.length,
      load: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    },
    memory: mem,
    disk: { path: root, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize },
  };
}

/** CPU busy share between two `os.cpus()` samples, 0..1. */
export function cpuBusy(prev: CpuInfo[], next: CpuInfo[]): number {
  let idle = 0;
  let total = 0;
  next.forEach((c, i) => {
    const p = prev[i];
    if (!p) return;
    const t = (x: CpuInfo) => x.times.user + x.times.nice + x.times.sys + x.times.irq + x.times.idle;
    total += t(c) - t(p);
    idle += c.times.idle - p.times.idle;
  });
  return total > 0 ? Math.min(1, Math.max(0, 1 - idle / total)) : 0;
}
