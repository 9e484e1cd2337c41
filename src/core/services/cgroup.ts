import { isNoMemoryLimit, NO_MEMORY_LIMIT } from './bytes.js';
import { readText } from './fs-cb.js';
import type { ProcessView } from './inspect.js';

/**
 * A container's cgroup: its limits and what it uses now. Apart from inspect.ts, whose rating and
 * package reads `service start`'s memory admission does not need (issue 20: fewer modules loaded).
 */

const readOrNone = (p: string) => readText(p).catch(() => undefined);
const num = (s: string | undefined) => (s === undefined || Number.isNaN(Number(s)) ? undefined : Number(s));

/**
 * Where a process's cgroup files are: first through the container's own cgroup mount
 * (/proc/PID/root/sys/fs/cgroup, its cgroup namespace root), which holds even when blueprint runs
 * in a nested cgroup namespace (a CI container); else the host's tree at the path /proc/PID/cgroup
 * names. Handles v1 controllers and the v2 unified tree.
 */
async function cgroupFiles(pid: number) {
  const lines = ((await readOrNone(`/proc/${pid}/cgroup`)) ?? '')
    .trim()
    .split('\n')
    .map((l) => l.split(':'));
  const v1 = lines.some((p) => p[1]?.split(',').includes('memory'));
  const hostPath = (ctrl: string) =>
    (v1 ? lines.find((p) => p[1]?.split(',').includes(ctrl)) : lines.find((p) => p[0] === '0'))?.[2] ?? '';
  const inside = `/proc/${pid}/root/sys/fs/cgroup`;
  const views = [
    (ctrl: string) => (v1 ? `${inside}/${ctrl}` : inside),
    (ctrl: string) => `/sys/fs/cgroup${v1 ? `/${ctrl}` : ''}${hostPath(ctrl)}`,
  ];
  const memoryMax = v1 ? 'memory.limit_in_bytes' : 'memory.max';
  for (const dir of views)
    if ((await readOrNone(`${dir('memory')}/${memoryMax}`)) !== undefined)
      return { v1, read: (ctrl: string, file: string) => readOrNone(`${dir(ctrl)}/${file}`) };
  return undefined;
}

export async function cgroupLimits(pid: number): Promise<ProcessView['cgroup']> {
  const cg = await cgroupFiles(pid);
  if (!cg) return {};
  const pids = (await cg.read('pids', 'pids.max'))?.trim();
  let cpus: number | undefined;
  if (cg.v1) {
    const quota = num(await cg.read('cpu', 'cpu.cfs_quota_us'));
    const period = num(await cg.read('cpu', 'cpu.cfs_period_us'));
    cpus = quota && period && quota > 0 ? quota / period : undefined;
  } else {
    const [quota, period] = ((await cg.read('cpu', 'cpu.max')) ?? '').trim().split(' ');
    cpus = quota && quota !== 'max' ? Number(quota) / Number(period) : undefined;
  }
  return {
    memoryBytes: memoryLimitFrom(await cg.read('memory', cg.v1 ? 'memory.limit_in_bytes' : 'memory.max')),
    pids: pids === 'max' ? 'max' : num(pids),
    cpus,
  };
}

/** Memory in use and live processes, from the same cgroup files the limits come from. */
export async function cgroupUsage(pid: number): Promise<{ memoryBytes?: number; pids?: number }> {
  const cg = await cgroupFiles(pid);
  if (!cg) return {};
  return {
    memoryBytes: num(await cg.read('memory', cg.v1 ? 'memory.usage_in_bytes' : 'memory.current')),
    pids: num(await cg.read('pids', 'pids.current')),
  };
}

/**
 * The memory limit the kernel holds a process's cgroup to (memory.max, v1 memory.limit_in_bytes):
 * what a running container can take, also after `podman update --memory`, which Podman 4 applies to
 * the cgroup alone (the engine's HostConfig.Memory keeps the limit it was created with).
 * NO_MEMORY_LIMIT when it has none; undefined when unread.
 */
export async function cgroupMemoryLimit(pid: number): Promise<number | undefined> {
  const cg = await cgroupFiles(pid);
  return memoryLimitFrom(await cg?.read('memory', cg.v1 ? 'memory.limit_in_bytes' : 'memory.max'));
}

/** A memory limit file's text: a figure, or NO_MEMORY_LIMIT for none (v2 "max", v1's page-counter maximum). */
export function memoryLimitFrom(text: string | undefined): number | undefined {
  if (text?.trim() === 'max') return NO_MEMORY_LIMIT;
  const bytes = text?.trim() ? num(text) : undefined;
  if (bytes === undefined || !(bytes > 0)) return undefined;
  return isNoMemoryLimit(bytes) ? NO_MEMORY_LIMIT : bytes;
}
