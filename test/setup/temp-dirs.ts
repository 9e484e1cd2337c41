import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';

// Removes the folders test/helpers/pkg.ts's tempDir made in this file. Imports nothing of ours: a
// setup file's imports load before a test file's vi.mock calls, and test/security/read-once.test.ts
// needs the source modules to see its wrapped node:fs. Registered before the file's own hooks, so
// it runs after them (after-hooks run as a stack): services a file started on these folders are
// stopped by then.
afterAll(() => {
  const dirs = (globalThis as { __blueprintTempDirs?: Set<string> }).__blueprintTempDirs;
  if (!dirs || process.env.BLUEPRINT_KEEP_TEMP === '1') return;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  dirs.clear();
});
