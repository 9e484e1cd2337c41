import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The temp folders a test file made through tempDir (test/helpers/pkg.ts), removed after the file
// by test/setup/temp-dirs.ts (some hold 300 MB of packages; the disk once filled up).
// BLUEPRINT_KEEP_TEMP=1 keeps them. Only built-ins are imported here: the setup file imports this
// before a test file's vi.mock calls run, and importing any of our source modules then would keep
// them from seeing a mocked node:fs (test/security/read-once.test.ts).
const made = new Set<string>();

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes the folders made so far; returns how many there were. */
export function removeTempDirs(): number {
  const n = made.size;
  if (process.env.BLUEPRINT_KEEP_TEMP !== '1')
    for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.clear();
  return n;
}
