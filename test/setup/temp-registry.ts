import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The temp folders a test file made through tempDir, removed after the file by
// test/setup/temp-dirs.ts (some hold 300 MB of packages; the disk once filled up).
// BLUEPRINT_KEEP_TEMP=1 keeps them. Only built-ins are imported here: the setup file imports this
// before a test file's vi.mock calls run, and importing any of our source modules then would keep
// them from seeing a mocked node:fs (test/security/read-once.test.ts).
const made = new Set<string>();

/** A fresh folder under the system's temp folder, removed after this test file. */
export function tempDir(prefix = 'bp-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/**
 * Removes the folders made so far; returns how many there were. One that cannot go (a mount still
 * on it, files a container left busy) is named on stderr and left: a clean-up must not fail the
 * test file it served, and the other folders still go.
 */
export function removeTempDirs(): number {
  const n = made.size;
  if (process.env.BLUEPRINT_KEEP_TEMP !== '1')
    for (const dir of made) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        // Node 24's rmSync can throw with an empty code and the errno only in its message.
        const e = err as NodeJS.ErrnoException;
        console.warn(`test temp folder ${dir} was not removed (${e.code || e.message}): remove it by hand`);
      }
    }
  made.clear();
  return n;
}
