import { runningLimitLine } from '../present/services.js';

/** How often a running service's limits are read again while the Services screen polls. */
export const RUNNING_LIMITS_MS = 10_000;

/**
 * Which running services run with another memory limit than their plan gives them (a plan changed
 * since they started, or a limit set outside blueprint: as `blueprint service status NAME` says
 * it, runningLimitLine), for the Services screen.
 * The list does not carry it: it reads every llm model's header, too much for each 2 s poll. So
 * each running service's status is read in the background at most every RUNNING_LIMITS_MS, one
 * read out per service; a poll takes the line last read. `forget` after the console changes a
 * service (a start, a restart, a setting): the next poll reads it again.
 */
export function runningLimitsReader(
  status: (name: string) => Promise<Parameters<typeof runningLimitLine>[1]>,
  everyMs = RUNNING_LIMITS_MS,
) {
  const known = new Map<string, { at: number; line?: string; out?: boolean }>();
  return {
    /** The line for `name`, if it runs with another limit (as last read); starts a read when due. */
    line(name: string, running: boolean): string | undefined {
      if (!running) {
        known.delete(name);
        return undefined;
      }
      const k = known.get(name) ?? { at: 0 };
      known.set(name, k);
      if (!k.out && Date.now() - k.at >= everyMs) {
        k.out = true;
        // A read that throws at once (a box without status) is a failed read, not a failed list.
        Promise.resolve()
          .then(() => status(name))
          .then(
            (s) => {
              k.line = runningLimitLine(name, s);
            },
            () => {}, // the list says what is wrong with the engine
          )
          .finally(() => {
            k.out = false;
            k.at = Date.now();
          });
      }
      return k.line;
    },
    forget(name: string): void {
      known.delete(name);
    },
  };
}

export type RunningLimitsReader = ReturnType<typeof runningLimitsReader>;
