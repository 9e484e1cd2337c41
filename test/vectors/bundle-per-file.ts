import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { bundle, newDataDir } from './served.js';

/**
 * The vectors server's bundle, made once for the test file (`file`, for serve), and the data
 * folders its tests ask for (`dataDir()`), removed after the file.
 */
export function bundlePerFile() {
  const dirs: string[] = [];
  const b = {
    file: '',
    dataDir: () => {
      const d = newDataDir();
      dirs.push(d);
      return d;
    },
  };
  beforeAll(async () => {
    b.file = await bundle();
  }, 60_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return b;
}

/** A pseudo-random vector per (id, version), as float32 values (what the service stores). */
export const vec = (id: number, v = 0) => {
  let seed = (id * 1009 + v * 7919 + 1) >>> 0;
  return Array.from({ length: 32 }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.fround(seed / 2 ** 32 - 0.5);
  });
};
