import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../setup/temp-registry.js';
import { exec } from './pkg.js';

/**
 * A box whose etc/timezone is a FIFO, and an appliance.yaml for it: `apply --dry-run -f FILE` on
 * that root waits in its plan (reading the FIFO) until the test writes to it, a slow step that does
 * not look at the command's signal (test/cli/interrupt-ignored, interrupt-ignored-here).
 */
export async function planWaitingOnFifo(
  prefix: string,
): Promise<{ root: string; fifo: string; file: string }> {
  const work = tempDir(prefix);
  const root = path.join(work, 'box');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  const fifo = path.join(root, 'etc/timezone');
  await exec('mkfifo', [fifo]);
  const file = path.join(work, 'appliance.yaml');
  writeFileSync(file, 'hostname: box-01\n');
  return { root, fifo, file };
}
