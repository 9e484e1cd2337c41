import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The CPUs the container's quota allows (cgroup v2 or v1), or undefined without a quota. Inference
 * libraries size their thread pools from the cores they see, not from the quota: 16 threads under
 * a 2-CPU quota spend their time throttled.
 */
export function cpuQuota(): number | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max')?.split(' ');
  const [quota, period] = v2 ?? [
    read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
    read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
  ];
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined; // "max" or -1: no quota
  return Math.max(1, Math.ceil(q / p));
}

/** Threads for inference: the quota, at most the cores present. */
export const inferenceThreads = () => Math.min(cpuQuota() ?? availableParallelism(), availableParallelism());
