import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * For running the image's boot scripts on this host (test/security/boot-partition-names,
 * data-persist-names): a fake /sys/class/block, commands that only record their calls, and what
 * the script wrote.
 */

/** Under `sys` (a fake /sys/class/block): each device NAME a partition named PARTNAME, or a whole disk (undefined). */
export function fakeBlockDevices(sys: string, devices: Record<string, string | undefined>): void {
  for (const [dev, name] of Object.entries(devices)) {
    mkdirSync(path.join(sys, dev), { recursive: true });
    writeFileSync(
      path.join(sys, dev, 'uevent'),
      `MAJOR=8\nMINOR=1\nDEVNAME=${dev}\nDEVTYPE=${name ? 'partition' : 'disk'}\n${name ? `PARTN=1\nPARTNAME=${name}\n` : ''}`,
    );
  }
}

/**
 * In `bin`, a stub for each command of `stubs` that appends "NAME ARGS" to `work`/calls, then runs
 * its lines of `then` (what the real one would answer), if any.
 */
export function recordingStubs(
  work: string,
  bin: string,
  stubs: string[],
  then: Record<string, string> = {},
): void {
  for (const stub of stubs) {
    writeFileSync(path.join(bin, stub), `#!/bin/sh\necho "${stub} $*" >>${work}/calls\n${then[stub] ?? ''}`);
    chmodSync(path.join(bin, stub), 0o755);
  }
}

/** The file's text, or '' where the script never wrote it. */
export function textOrNothing(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
