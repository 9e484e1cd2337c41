import { spawnSync } from 'node:child_process';

/**
 * Whether this process may make a mount namespace of its own and mount a tmpfs in it (root, and
 * `unshare` allowed here): the tests that run image scripts against stand-in mounts need it, and
 * skip without it.
 */
export const mountNamespaceUsable: boolean =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs t /mnt'], { stdio: 'ignore' }).status === 0;
