/**
 * A process's resident memory as Linux counts it (/proc/PID/status), for the tests that bound what
 * a hostile request may make a service hold: the peak (VmHWM) around a step, started again before
 * it through /proc/PID/clear_refs, against the resident memory (VmRSS) beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** `field` of /proc/PID/status in MiB: VmRSS, resident now; VmHWM, the peak resident so far. */
export function residentMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

/** The process's peak resident memory (VmHWM) so far, in MiB. */
export const peakResidentMiB = (pid: number) => residentMiB(pid, 'VmHWM');

/** Starts the process's peak (VmHWM) again from its resident memory now. */
export const resetPeakResident = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** The peak since the last reset, in MiB, then a reset: read before a step and after it. */
export function takePeakResidentMiB(pid: number): number {
  const peak = peakResidentMiB(pid);
  resetPeakResident(pid);
  return peak;
}
