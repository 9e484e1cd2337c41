import { defineConfig } from 'vitest/config';

// The fuzz targets run only through `npm run fuzz` (scripts/fuzz.mjs), which sets the time budget
// and the seed; plain `npm test` never picks up *.fuzz.ts.
const seconds = Number(process.env.FUZZ_SECONDS_PER_TARGET ?? 12);

export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.fuzz.ts'],
    // Each target stops itself at its budget; the margin covers shrinking a counterexample.
    testTimeout: (seconds + 120) * 1000,
    hookTimeout: 60_000,
    // The targets share the 2-core machine with everything else: one file at a time.
    fileParallelism: false,
    // Removes the temp folders tempDir made, after each file (test/setup/temp-registry.ts).
    setupFiles: ['test/setup/temp-dirs.ts'],
  },
});
