import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterAll } from 'vitest';

/**
 * A small disk for the file's tests (a full disk is made by filling it): `mountTmpfs(dir, size)`
 * mounts a tmpfs of `size` (mount's `size=`, as '1m') at `dir`; every one is unmounted after the
 * file. Needs root, as the tests that use it. The tmpfs takes the mode of the folder it covers (a
 * fresh tmpfs is 1777, open to all: a box's var/cache/blueprint so would make the box refuse to
 * act on the tree, --root's contract).
 */
export function tmpfsPerFile(): (dir: string, size: string) => void {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
  });
  return (dir, size) => {
    const mode = (statSync(dir).mode & 0o7777).toString(8);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=${mode}`, 'tmpfs', dir]);
    mounts.push(dir);
  };
}
