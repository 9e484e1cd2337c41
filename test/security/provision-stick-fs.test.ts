import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fatBootSector, mountNamespaceUsable } from '../helpers/mount-namespace.js';
import { bootOnce, provisionWork, stickMount } from '../helpers/provision-harness.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * The BLUEPRINT stick is whatever somebody plugs in. provision-from-disk mounted it as whatever
 * file system it claimed (`mount` without `-t`: libblkid's guess, then the kernel's driver for
 * it), so a stick formatted as minix, squashfs, btrfs, HFS+, UDF… had the box's kernel parse an
 * attacker's metadata with a driver nothing on the box needs: the kernel's file system parsers
 * are the classic target of a hostile USB stick. The docs name FAT (vfat), exFAT and ext4 (the
 * stick's recovery-keys folder, image/README.md): the type is now read (blkid, low-level probe)
 * before anything is mounted, another is refused with the reason on the consoles, which stay
 * locked, and the mount names the type it checked (`-t`), nosuid, nodev, noexec.
 *
 * The real script and the wizard unit's ExecStart run in a private mount namespace, as in
 * provision-two-disks, with the real blkid reading a real file system image at the stand-in
 * /dev/disk/by-label/BLUEPRINT; `mount` is a stand-in recording its arguments.
 */
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-fs'));
});
afterEach(() => cleanup());

/** One boot with `image` as the BLUEPRINT device: the provisioning, then tty1's wizard unit. */
async function boot(image: string, stickFolders: string[] = []) {
  const fake = await provisionWork(work, {
    tools: {
      udevadm: 'exit 0',
      // A remount (rw, for the recovery-keys folder) makes the bound stick writable.
      mount: stickMount(
        work,
        `echo "mount $*" >>${work}/calls; eval "dest=\\\${$#}"; case "$*" in *remount,rw*) exec /usr/bin/mount -o remount,bind,rw "$dest" ;; esac; `,
      ),
      umount: '/usr/bin/umount "$1"',
      journalctl: `cat ${work}/journal`,
      sleep: `if [ "$1" = infinity ]; then echo LOCKED >>${work}/calls; fi; exit 0`,
    },
    blueprint: `echo "blueprint $*" >>${work}/calls\nexit 0`,
  });
  for (const folder of stickFolders) await mkdir(path.join(work, 'stick', folder));
  return bootOnce(work, fake, { devLines: [`cp ${image} /dev/disk/by-label/BLUEPRINT`] });
}

function refusedSaying(r: Awaited<ReturnType<typeof boot>>, why: RegExp) {
  expect(r.calls.filter((c) => c.startsWith('mount '))).toEqual([]);
  expect(r.calls.some((c) => c.startsWith('blueprint setup'))).toBe(false);
  expect(r.rc).toBe(1);
  expect(r.calls).toContain('LOCKED');
  for (const [where, text] of [
    ['journal', r.journal],
    ['screen (tty1)', r.screen],
    ['locked console', r.tty],
  ])
    expect(text, where).toMatch(why);
}

describe.skipIf(!mountNamespaceUsable)('the BLUEPRINT stick’s file system', () => {
  it.skipIf(!have('mkfs.minix'))(
    'minix is refused before anything is mounted, the consoles saying why',
    async () => {
      const img = path.join(work, 'minix.img');
      await writeFile(img, Buffer.alloc(1024 * 1024));
      expect(spawnSync('mkfs.minix', [img]).status).toBe(0);
      refusedSaying(
        await boot(img),
        /BLUEPRINT disk holds a minix file system, and sticks are read only as vfat, exfat or ext4: nothing was set up/,
      );
    },
  );

  it.skipIf(!have('mkfs.ext2'))('ext2 (not the ext4 the docs name) is refused', async () => {
    const img = path.join(work, 'ext2.img');
    expect(spawnSync('mkfs.ext2', ['-q', '-F', '-L', 'BLUEPRINT', img, '1M']).status).toBe(0);
    refusedSaying(await boot(img), /BLUEPRINT disk holds a ext2 file system/);
  });

  it('no file system blkid can name (the kernel would be left to guess) is refused', async () => {
    const img = path.join(work, 'blank.img');
    await writeFile(img, Buffer.alloc(64 * 1024));
    refusedSaying(await boot(img), /no file system this box can name.*nothing was set up/);
  });

  it('FAT is mounted as vfat (the type checked, not a guess), read-only, nosuid, nodev, noexec', async () => {
    const img = path.join(work, 'fat.img');
    await writeFile(img, fatBootSector());
    const r = await boot(img);
    expect(r.calls.find((c) => c.startsWith('mount '))).toBe(
      'mount -t vfat -o ro,nosuid,nodev,noexec /dev/disk/by-label/BLUEPRINT /run/blueprint/provision',
    );
    expect(r.calls).toContain('blueprint setup --unattended --answers /run/blueprint/provision/answers.json');
    expect(r.rc).toBe(0);
  });

  it.skipIf(!have('mkfs.ext4'))('ext4 is mounted as ext4', async () => {
    const img = path.join(work, 'ext4.img');
    expect(spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'BLUEPRINT', img, '2M']).status).toBe(0);
    const r = await boot(img);
    expect(r.calls.find((c) => c.startsWith('mount '))).toMatch(
      /^mount -t ext4 -o ro,noload,nosuid,nodev,noexec /,
    );
    expect(r.rc).toBe(0);
  });

  // Two signatures (a FAT boot sector written over an ext4 stick's first sector: each driver would
  // read its own file system from the same blocks): blkid -p calls that ambivalent and names none.
  it.skipIf(!have('mkfs.ext4') || !have('mkfs.vfat'))(
    'a stick with two signatures (FAT and ext4) is refused',
    async () => {
      const img = path.join(work, 'both.img');
      const fat = path.join(work, 'fat.img');
      expect(spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'BLUEPRINT', img, '8M']).status).toBe(0);
      expect(spawnSync('mkfs.vfat', ['-n', 'BLUEPRINT', '-C', fat, '1024']).status).toBe(0);
      expect(
        spawnSync('dd', [`if=${fat}`, `of=${img}`, 'bs=512', 'count=1', 'conv=notrunc', 'status=none'])
          .status,
      ).toBe(0);
      refusedSaying(await boot(img), /no file system this box can name \(none, or more than one signature\)/);
    },
  );

  // An ext4 stick unplugged without unmounting carries a journal to replay (needs_recovery). The
  // kernel replays it on a read-only mount too, writing the journal's blocks wherever they say on
  // the stick (write access is enabled "during recovery"), with jbd2's parser reading an
  // attacker's journal on the way: `ro` did not mean the stick is left as it was, nor that only
  // the answers are read. `noload` mounts it as it is, the journal neither read nor replayed.
  it.skipIf(!have('mkfs.ext4') || !loopUsable())(
    'an ext4 stick is mounted with its journal left alone (ro,noload): the stick is not written',
    async () => {
      const img = await ext4NeedingRecovery('ext4.img');
      const r = await boot(img);
      const call = r.calls.find((c) => c.startsWith('mount '));
      expect(call).toMatch(
        /^mount -t ext4 -o \S+ \/dev\/disk\/by-label\/BLUEPRINT \/run\/blueprint\/provision$/,
      );
      const opts = /-o (\S+)/.exec(call ?? '')?.[1] ?? '';
      // Those options, with the real kernel, on a stick it could write (a loop device, read-write).
      const stick = path.join(work, 'stick.img');
      await copyFile(img, stick);
      const before = sha256(await readFile(stick));
      const dir = path.join(work, 'real');
      await mkdir(dir);
      const real = spawnSync(
        'sh',
        [
          '-c',
          `L=$(losetup -f --show "$1") || exit 9; mount -t ext4 -o "$2" "$L" "$3"; rc=$?; umount "$3" 2>/dev/null; losetup -d "$L"; exit $rc`,
          'sh',
          stick,
          opts,
          dir,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(real.status, real.stderr).toBe(0);
      expect(sha256(await readFile(stick)), `mounted -o ${opts}`).toBe(before);
      expect(r.rc).toBe(0);
    },
  );

  // With noload the journal is not used at all, a read-write remount included (`norecovery`). A
  // stick whose journal waits (pulled out mounted) written that way gets the key in blocks the
  // journal's next replay (the next machine, a plain mount) writes its old blocks over: the key's
  // only copy off the box lost, and the stick's file system damaged. Such a stick is not written.
  it.skipIf(!have('mkfs.ext4'))(
    'an ext4 stick whose journal waits is not made writable for the recovery key: nothing set up, the consoles say why',
    async () => {
      const r = await boot(await ext4NeedingRecovery('ext4.img'), ['recovery-keys']);
      expect(r.calls.filter((c) => c.startsWith('mount '))).toEqual([
        'mount -t ext4 -o ro,noload,nosuid,nodev,noexec /dev/disk/by-label/BLUEPRINT /run/blueprint/provision',
      ]);
      expect(r.calls.some((c) => c.startsWith('blueprint setup'))).toBe(false);
      expect(r.rc).toBe(1);
      expect(r.calls).toContain('LOCKED');
      for (const [where, text] of [
        ['journal', r.journal],
        ['screen (tty1)', r.screen],
        ['locked console', r.tty],
      ])
        expect(text, where).toMatch(
          /BLUEPRINT disk's journal was not replayed.*nothing was set up, nothing encrypted/,
        );
    },
  );

  it.skipIf(!have('mkfs.ext4'))(
    'a clean ext4 stick is still made writable for the recovery key',
    async () => {
      const img = path.join(work, 'ext4.img');
      expect(spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'BLUEPRINT', img, '8M']).status).toBe(0);
      const r = await boot(img, ['recovery-keys']);
      expect(r.calls.filter((c) => c.startsWith('mount '))).toEqual([
        'mount -t ext4 -o ro,noload,nosuid,nodev,noexec /dev/disk/by-label/BLUEPRINT /run/blueprint/provision',
        'mount -o remount,rw,nosuid,nodev,noexec /run/blueprint/provision',
      ]);
      expect(r.calls.some((c) => c.startsWith('blueprint setup'))).toBe(true);
    },
  );
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Whether a loop device can be set up here (root, /dev/loop-control). */
function loopUsable(): boolean {
  return spawnSync('sh', ['-c', 'L=$(losetup -f) && [ -w "$L" ]']).status === 0 && have('losetup');
}

/** An ext4 image labelled BLUEPRINT whose journal waits to be replayed, as a stick pulled out mounted. */
async function ext4NeedingRecovery(name: string): Promise<string> {
  const img = path.join(work, name);
  expect(spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'BLUEPRINT', img, '8M']).status).toBe(0);
  expect(spawnSync('debugfs', ['-w', '-R', 'feature needs_recovery', img]).status).toBe(0);
  const features = spawnSync('dumpe2fs', ['-h', img], { encoding: 'utf8' }).stdout;
  expect(features).toMatch(/^Filesystem features:.* needs_recovery/m);
  return img;
}
