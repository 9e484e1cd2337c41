/** Memory sizes and the CPU floor, apart from the schema (zod) so the start path can read them (overrides.ts). */

/**
 * The fewest CPUs a service may have (a manifest's request or an admin's override): a service's CPUs
 * are a CFS quota of cpus × 100,000 µs a period (policy.ts), and the kernel takes no quota under
 * 1 ms: Podman refuses the container ("CPU cfs quota cannot be less than 1ms"), so a smaller figure
 * only made a service that could not start.
 */
export const MIN_CPUS = 0.01;

/**
 * The most memory a manifest may ask for: 1 TiB. A manifest is signed once and installed on many
 * boxes, so this bound is about what is plausible at all, not what fits this box (start-time
 * admission judges that). This appliance runs on edge boxes, which have far less than 1 TiB; a
 * manifest asking for more (`4096g`, or a byte count past 2^53 that is no longer exact) is broken
 * or hostile, and it is refused at install like any other schema error.
 */
export const MAX_MEMORY_BYTES = 1024 ** 4;

/** The least memory a service may have (a manifest's request or an admin's override): 4 MiB. */
export const MIN_MEMORY_BYTES = 4 * 1024 ** 2;

/** `256m`, `1g`, `512k` (judged by the caller's pattern first) or a number of bytes. */
export function parseBytes(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)([kmg])/i.exec(v)!;
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}

/**
 * Whether a limit read back is the planned one: the engine records the bytes asked for, the kernel
 * holds the container to them rounded down to its page size (100000001 bytes read back as 99999744
 * on a 4 KiB page), so a plan's odd byte count is no change made outside.
 */
export function holdsPlanned(bytes: number, planned: number): boolean {
  return bytes === planned || (bytes < planned && planned - bytes < MAX_PAGE_BYTES && bytes % 4096 === 0);
}

/** The largest page size Linux runs with (arm64's 64 KiB). */
const MAX_PAGE_BYTES = 64 * 1024;

/**
 * The kernel's figure for no memory limit: cgroup v1's memory.limit_in_bytes reads PAGE_COUNTER_MAX
 * pages (2^63 - 4096 with 4 KiB pages, exact as a double); a v2 memory.max of "max" reads as it too
 * (cgroup.ts memoryLimitFrom), so "no limit" is one figure on either. No plan gives that much
 * (MAX_MEMORY_BYTES).
 */
export const NO_MEMORY_LIMIT = 2 ** 63 - 4096;

/** Whether a limit read back is the kernel's "no limit" (any page size's PAGE_COUNTER_MAX). */
export const isNoMemoryLimit = (bytes: number): boolean => bytes >= 2 ** 62;
