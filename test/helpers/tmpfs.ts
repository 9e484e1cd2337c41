import { execFileSync } from 'node:child_process';
import { afterAll } from 'vitest';

/**
 * A small disk for the file's tests (a full disk is made by filling it): `mountTmpfs(dir, size)`
 * mounts a tmpfs of `size` (mount's `size=`, as '1m') at `dir`; every one is unmounted after the
 * file. Needs root, as the tests that use it.
 */
export function tmpfsPerFile(): (dir: string, size: string) => void {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
  });
  return (dir, size) => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    mounts.push(dir);
  };
}
