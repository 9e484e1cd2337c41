import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
 * Removes `dir`; undefined once it is gone, else why not. rmSync can return without an error and
 * leave entries behind (seen on RAUC sandboxes here, ~1 run in 6, nothing holding the files; a
 * second pass removed them), so whether the folder is gone is checked, not assumed.
 */
function remove(dir: string): string | undefined {
  for (let pass = 0; pass < 3; pass++) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      // Node 24's rmSync can throw with an empty code and the errno only in its message.
      const e = err as NodeJS.ErrnoException;
      return e.code || e.message;
    }
    if (!existsSync(dir)) return undefined;
  }
  return 'entries left behind';
}

/**
 * Removes one folder now, for tests that make many or big ones (BLUEPRINT_KEEP_TEMP=1 keeps it).
 * One that cannot go yet stays registered: the after-file pass tries again and names it.
 */
export function dropTempDir(dir: string): void {
  if (process.env.BLUEPRINT_KEEP_TEMP !== '1' && remove(dir) === undefined) made.delete(dir);
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
      const why = remove(dir);
      if (why) console.warn(`test temp folder ${dir} was not removed (${why}): remove it by hand`);
    }
  made.clear();
  return n;
}
