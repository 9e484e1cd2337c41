import { readFileSync } from 'node:fs';

/**
 * Which process a pid is beyond its number: its start time (/proc/PID/stat's 22nd field, clock ticks
 * since boot) and the boot's id. A pid is given out again (after a reboot, or once its process died);
 * with these two it names one process for good. Read here once for every judge of it: the locks
 * (lock.ts: a lock's holder name) and the model room's account (models/upload-room.ts: its entries).
 */

/** The start time in a /proc/PID/stat text (its 22nd field). */
const startIn = (stat: string) => {
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return start !== undefined && /^[0-9]{1,20}$/.test(start) ? start : undefined;
};

/** The start time of process `pid` as this process's /proc shows it; undefined where /proc does not say (gone, or hidden). */
function startOf(pid: number): string | undefined {
  try {
    return startIn(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether this process's time namespace shifts the boot time (or its offsets cannot be read). */
function shiftedBoot(): boolean {
  let offsets: string;
  try {
    offsets = readFileSync('/proc/self/timens_offsets', 'utf8');
  } catch (err) {
    // No such file: a kernel without time namespaces, nothing shifted.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return !/^boottime\s+0\s+0\s*$/m.test(offsets);
}

export interface ProcessStart {
  /** Its start time, in clock ticks since boot. */
  start: string;
  /** The boot's id, 32 hex digits. */
  boot: string;
}

let self: ProcessStart | undefined | null = null;

/**
 * This process's start time and the boot's id; undefined where /proc does not say, or is not this
 * process's pid namespace's (its `self` another pid), or this process's time namespace shifts the
 * boot time: /proc shows every start time shifted by the reader's offset, so a start named there is
 * one no process outside sees, and one judged there is every other's shifted (a live holder was
 * judged dead). Such a process names no start and judges none: the pid alone, as before.
 */
export function selfStart(): ProcessStart | undefined {
  if (self !== null) return self;
  self = undefined;
  try {
    if (shiftedBoot()) return self;
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const start = startIn(stat);
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '');
    if (stat.startsWith(`${process.pid} (`) && start && /^[0-9a-f]{32}$/.test(boot)) self = { start, boot };
  } catch {}
  return self;
}

/**
 * Whether the live process `pid` is another than the one that named `start` (its pid given out
 * again): only where this process judges starts (selfStart) and /proc says `pid`'s; false otherwise
 * (judged by the pid alone). The boot is the caller's to compare.
 */
export function startedOtherwise(pid: number, start: string): boolean {
  if (!selfStart()) return false;
  const now = startOf(pid);
  return now !== undefined && now !== start;
}
