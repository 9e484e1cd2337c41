/** What the image clears at boot, run here as the image runs it. */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** The image's tmpfiles.d rules for what a boot clears: the locks, the model room, partial copies. */
const bootRules = new URL('../../image/overlay/etc/tmpfiles.d/blueprint-locks.conf', import.meta.url)
  .pathname;

/**
 * The tree at `root` cleared as a boot clears it (systemd-tmpfiles-setup: --remove --boot with the
 * image's rules); the tool says nothing and exits 0.
 */
export function clearAsAtBoot(root: string): void {
  const boot = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--remove', '--boot', bootRules], {
    encoding: 'utf8',
  });
  expect(boot.stderr).toBe('');
  expect(boot.status).toBe(0);
}
