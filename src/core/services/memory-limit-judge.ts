/**
 * Whose doing a running service's memory limit is, for `service inspect` (REVIEW10's finding on
 * e00c6a93). The container's spec label says whether it was made from the plan that holds now
 * (ensure-container.ts keptBy: a start keeps it then, a restart too):
 * - made from it, it was given the plan's limit; a limit the kernel or the engine holds it to
 *   other than that was set on the container outside blueprint (`podman update --memory`, root):
 *   a finding, with the command that sets it back. Podman 4.3.1 changes only the cgroup, and the
 *   kept container's next start re-applies the limit it recorded (measured, LIMITS2); later
 *   versions record it as HostConfig.Memory too, and a restart (the same container) keeps it.
 * - made from an older plan (a setting, override or model changed since), it runs with the limit
 *   the kernel holds it to (the one it was started with, or one set since outside blueprint: what
 *   admission counts, and what an engine that records `podman update` says too), and its next start
 *   gives the plan's: the restart line (status.ts RunningLimits), which a restart settles.
 */
import { holdsPlanned } from './bytes.js';
import { type ContainerInfo, runningLimit } from './container-info.js';
import { type ContainerPlan, SPEC_LABEL } from './policy.js';
import type { RunningLimits } from './status.js';

/** The limit it runs with (the cgroup's, else the engine's) and the one its sandbox plan gives. */
export interface LimitChangedOutside {
  memoryBytes: number;
  planMemoryBytes: number;
}

export function judgeMemoryLimit(
  info: ContainerInfo,
  plan: ContainerPlan,
  cgroupBytes: number | undefined,
): { runningLimits?: RunningLimits; limitChangedOutside?: LimitChangedOutside } {
  const planned = plan.summary.memoryBytes;
  const engine = runningLimit(info);
  const fromThisPlan =
    info.Config.Labels[SPEC_LABEL] === (plan.spec.labels as Record<string, string>)[SPEC_LABEL];
  if (fromThisPlan) {
    const other = [cgroupBytes, engine].find((b) => b !== undefined && !holdsPlanned(b, planned));
    return other === undefined
      ? {}
      : { limitChangedOutside: { memoryBytes: other, planMemoryBytes: planned } };
  }
  const running = cgroupBytes ?? engine;
  return running !== undefined && !holdsPlanned(running, planned)
    ? { runningLimits: { memoryBytes: running, nextStartMemoryBytes: planned } }
    : {};
}
