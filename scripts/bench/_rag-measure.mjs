// Helpers of scripts/bench/rag.mjs: the container's CPU throttling counters, percentiles, timing, and
// busy loops beside the measurements.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from './_lib.mjs';

/** The container's CPU cgroup counters (cgroup v1 cpu.stat: nr_throttled, throttled_time in ns), if found. */
export function cpuStat(name) {
  try {
    const id = execFileSync('podman', ['inspect', '--format', '{{.Id}}', `blueprint-${name}`], {
      encoding: 'utf8',
    }).trim();
    const dir = execFileSync(
      'find',
      ['/sys/fs/cgroup/cpu/', '-maxdepth', '4', '-type', 'd', '-name', `*${id}*`],
      {
        encoding: 'utf8',
      },
    )
      .split('\n')
      .find(Boolean);
    if (!dir) return undefined;
    return Object.fromEntries(
      readFileSync(join(dir, 'cpu.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    );
  } catch {
    return undefined;
  }
}

export const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
export async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `n` busy loops, each its own process group, said with `say`; returns what ends them (by their ids). */
export function startBusy(n, say) {
  const loops = Array.from({ length: n }, () =>
    // timeout: gone in 10 minutes even if this process is killed before it ends them.
    spawn('timeout', ['600', 'sh', '-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' }),
  );
  if (n) {
    // Where the scheduler has them (cgroup v1 cpu line): the root group, not this process's.
    const group = readFileSync(`/proc/${loops[0].pid}/cgroup`, 'utf8').match(
      /^\d+:[^:]*\bcpu\b[^:]*:(.*)$/m,
    )?.[1];
    say(`${n} busy loops beside the measurements, CPU group ${group ?? '?'} (${load()})`);
  }
  return () => {
    for (const c of loops) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {}
    }
  };
}
