import { defineConfig } from 'vitest/config';

// `npm run test:image`: checks of the built image (build/image, see scripts/build-image.sh) and a
// boot under qemu. Kept out of `npm test`: building takes minutes and booting under TCG minutes more.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    // Lynis in the booted guest takes ~15 min under TCG: only `npm run test:lynis` runs it.
    include: process.env.BLUEPRINT_LYNIS ? ['test/image/lynis.test.ts'] : ['test/image/**/*.test.ts'],
    exclude: process.env.BLUEPRINT_LYNIS ? [] : ['test/image/lynis.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    // Removes the temp folders tempDir made (boot overlays, disk copies), after each file.
    setupFiles: ['test/setup/temp-dirs.ts'],
  },
});
