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
 * 4 KiB that blkid takes for a FAT12 file system labelled BLUEPRINT (a boot sector as mkfs.fat
 * writes it, the rest zeros): the provisioning reads the stick's type before mounting it, and
 * mounts only the types the docs name.
 */
export function fatBootSector(): Buffer {
  const b = Buffer.alloc(4096);
  Buffer.from(
    'eb3c906d6b66732e66617400020401000200020008f802001000020000000000000000008000293ff40481424c55455052494e5420204641543132202020',
    'hex',
  ).copy(b);
  b.writeUInt16BE(0x55aa, 510);
  return b;
}

/**
 * Shell lines that give a private mount namespace a /dev of stand-ins, as the image's provisioning
 * scripts expect it: a tmpfs /dev with /dev/console and /dev/tty1 as plain files (what the script
 * writes to them can be read back), /dev/disk/by-label/BLUEPRINT a file blkid reads as FAT, and the
 * host's real /dev/null, carried over through `work/devnull`, which this makes first. `stick`
 * false: no disk carries the label.
 */
export async function standInDev(work: string, o: { stick?: boolean } = {}): Promise<string[]> {
  await writeFile(path.join(work, 'devnull'), '');
  await writeFile(path.join(work, 'fat-stick'), fatBootSector());
  return [
    `mount --bind /dev/null ${work}/devnull`,
    'mount -t tmpfs dev /dev',
    'mkdir -p /dev/disk/by-label',
    'touch /dev/null /dev/console /dev/tty1',
    o.stick === false ? ':' : `cp ${work}/fat-stick /dev/disk/by-label/BLUEPRINT`,
    `mount --bind ${work}/devnull /dev/null`,
  ];
}
