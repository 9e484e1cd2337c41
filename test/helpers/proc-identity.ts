/**
 * What the lock and model-room tests need to name a process as the kernel does, read from /proc here
 * on purpose (not through src/core/system/process-start.ts, which they test), and the processes
 * they start, killed after each case.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';

/** This boot's id as the code under test records it (no dashes). */
export const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '');

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22). */
export const startOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};

/** Whether a process can be started in a time namespace of its own with its boot time shifted. */
export const canShiftBoot = spawnSync('unshare', ['--time', '--boottime', '1000', 'true']).status === 0;

/** A list the file's cases push their processes into: each still running is killed (SIGKILL) after each case. */
export function killedAfterEach(): ChildProcess[] {
  const kids: ChildProcess[] = [];
  afterEach(async () => {
    for (const k of kids.splice(0)) {
      if (k.exitCode !== null || k.signalCode !== null) continue;
      const gone = new Promise((r) => k.on('exit', r));
      k.kill('SIGKILL');
      await gone;
    }
  });
  return kids;
}
