// CPU groups for the benches' host processes (embeddings, rag, vectors): where the scheduler puts a
// sandbox. Podman (cgroupfs, cgroup v1) makes each container a group of its own under
// libpod_parent, with its CPU quota; a plain process competes instead thread by thread, as part of
// its session's autogroup, shared with whatever else that session runs. On a box shared with other
// jobs that alone changes the share of the CPU a side gets, which is the box's scheduling, not the
// socket's or the sandbox's cost; so the benches give their host processes a group beside the
// containers', with the same quota.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CPU_ROOT = '/sys/fs/cgroup/cpu';
export const CPU_PARENT = path.join(CPU_ROOT, 'libpod_parent');

/**
 * A group beside the containers' with a quota of `cpus`: { dir, enter(pid), leave(pid), remove() }
 * (pid defaults to this process; remove once its processes have gone), or undefined where there is
 * no such hierarchy.
 */
export function cpuGroup(label, cpus) {
  if (!existsSync(CPU_PARENT)) return undefined;
  const dir = path.join(CPU_PARENT, `blueprint-bench-${label}-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
  writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(cpus * 100000));
  const move = (to, pid) => writeFileSync(path.join(to, 'cgroup.procs'), String(pid));
  return {
    dir,
    enter: (pid = process.pid) => move(dir, pid),
    leave: (pid = process.pid) => move(CPU_ROOT, pid),
    remove: () => {
      for (let i = 0; i < 50; i++)
        try {
          return rmdirSync(dir); // once its processes have gone
        } catch {
          execFileSync('sleep', ['0.1']);
        }
    },
  };
}

/**
 * Puts process `pid` in a group of its own (cpuGroup) for as long as it runs. Returns the undo:
 * this process, if it is the one grouped, moves back to the root group, and the group is removed
 * (another process must have exited first); undefined where there is no such hierarchy.
 */
export function likeAContainer(pid, cpus, label = 'host') {
  const group = cpuGroup(`${label}-${pid}`, cpus);
  if (!group) return undefined;
  group.enter(pid);
  return () => {
    if (pid === process.pid) group.leave(pid);
    group.remove();
  };
}
