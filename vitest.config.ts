import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The image's tests need a built image (minutes) and qemu: `npm run test:image`.
    exclude: ['**/node_modules/**', 'test/image/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Podman engine and the built executable: keep files serial.
    fileParallelism: false,
    // Removes the temp folders test/helpers/pkg.ts's tempDir made, after each file.
    setupFiles: ['test/setup/temp-dirs.ts'],
  },
});
