import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Whether this process may make a mount namespace of its own and mount a tmpfs in it (root, and
 * `unshare` allowed here): the tests that run image scripts against stand-in mounts need it, and
 * skip without it.
 */
export const mountNamespaceUsable: boolean =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs t /mnt'], { stdio: 'ignore' }).status === 0;

/**
 * Shell lines that give a private mount namespace a /dev of stand-ins, as the image's provisioning
 * scripts expect it: a tmpfs /dev with /dev/console, /dev/tty1 and /dev/disk/by-label/BLUEPRINT as
 * plain files (what the script writes to them can be read back), and the host's real /dev/null,
 * carried over through `work/devnull`, which this makes first.
 */
export async function standInDev(work: string): Promise<string[]> {
  await writeFile(path.join(work, 'devnull'), '');
  return [
    `mount --bind /dev/null ${work}/devnull`,
    'mount -t tmpfs dev /dev',
    'mkdir -p /dev/disk/by-label',
    'touch /dev/null /dev/console /dev/tty1 /dev/disk/by-label/BLUEPRINT',
    `mount --bind ${work}/devnull /dev/null`,
  ];
}
