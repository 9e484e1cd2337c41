// The encrypted data partition's boot wiring (issue 23, docs/encryption.md "How the image boots"),
// checked on the built --ab image (`scripts/build-image.sh --ab --uefi --out
// build/image-enc`) without booting it: what the initramfs holds, the first boot's units, and the
// initramfs script that decides what the data partition is, run with the image's own shell, blkid
// and cryptsetup on loop devices (chroot over an overlay, so the image stays as built).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crypttabLine, encryptDevice, UNFINISHED_LABEL } from '../../src/core/crypt/index.js';
import { canLoop, detach, loopDevice } from '../crypt/loop-helpers.js';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';

const repo = new URL('../..', import.meta.url).pathname;
const encDir = path.resolve(process.env.BLUEPRINT_ENC_IMAGE_DIR ?? path.join(repo, 'build/image-enc'));
const rootfs = path.join(encDir, 'rootfs');
const built = existsSync(path.join(encDir, 'initrd.img')) && existsSync(rootfs);
const unlockScript = readFileSync(path.join(repo, 'image/crypt/unlock'), 'utf8');

describe('the unlock the initramfs does and the one systemd does later agree', () => {
  it('passes systemd-cryptsetup the options setup writes into crypttab', () => {
    // crypttab (written by setup) drives systemd-cryptsetup@data on the first boot's copy and on
    // every later boot (where it finds the volume open); the initramfs opens it earlier with the
    // same options plus headless (its own prompt follows).
    const options = crypttabLine('data', 'UUID=x', 'auto').trim().split(/\s+/)[3];
    const m = /systemd-cryptsetup attach data "\$dev" none ([^\s;]+)/.exec(unlockScript);
    expect(m?.[1]).toBe(`${options},headless=true`);
    expect(options).toBe('luks,discard,tpm2-device=auto');
  });
});

describe.skipIf(!built)(`the built --ab image, data encrypted by default (${encDir})`, () => {
  it('has the unlock, its tools and the TPM libraries systemd dlopen()s in the initramfs', () => {
    // The image's own lsinitramfs over the initramfs the ESP gets (the same bytes as the root's).
    const boot = readdirSync(path.join(rootfs, 'boot')).find((f) => f.startsWith('initrd.img-'));
    expect(boot).toBeDefined();
    expect(
      readFileSync(path.join(rootfs, 'boot', boot!)).equals(readFileSync(path.join(encDir, 'initrd.img'))),
    ).toBe(true);
    const files = execFileSync('chroot', [rootfs, 'lsinitramfs', `/boot/${boot}`], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }).split('\n');
    const has = (re: RegExp) => files.some((f) => re.test(f));
    for (const re of [
      // local-premount runs before local-bottom: the volume is open before blueprint-data mounts it.
      /^scripts\/local-premount\/blueprint-crypt$/,
      /^scripts\/local-bottom\/blueprint-data$/,
      /(^|\/)sbin\/cryptsetup$/,
      /(^|\/)sbin\/blkid$/,
      /lib\/systemd\/systemd-cryptsetup$/,
      /cryptsetup\/libcryptsetup-token-systemd-tpm2\.so$/,
      /libtss2-esys\.so\.0$/,
      /libtss2-tcti-device\.so\.0$/,
      /libtss2-mu\.so\.0$/,
      /libtss2-rc\.so\.0$/,
      /\/dm-crypt\.ko/,
      // LUKS2's aes-xts-plain64: xts is a module; without it the TPM's key was right and the
      // mapping still failed in the qemu boot ("Error allocating crypto tfm").
      /\/crypto\/xts\.ko/,
      /\/crypto\/ecb\.ko/,
      /\/crypto\/algif_skcipher\.ko/,
    ])
      expect(has(re), String(re)).toBe(true);
  });

  it('leaves the disk’s data partition blank, for the box to encrypt (the default build)', () => {
    // The disk's bytes, not the script: GPT entry `data`, and nothing on it that blkid knows.
    const raw = path.join(tempDir('bp-disk-'), 'disk.raw');
    try {
      execFileSync('qemu-img', ['convert', '-O', 'raw', path.join(encDir, 'disk.qcow2'), raw]);
      const table = JSON.parse(execFileSync('sfdisk', ['--json', raw], { encoding: 'utf8' })) as {
        partitiontable: { sectorsize?: number; partitions: { name?: string; start: number }[] };
      };
      const data = table.partitiontable.partitions.find((p) => p.name === 'data');
      expect(data).toBeDefined();
      const offset = data!.start * (table.partitiontable.sectorsize ?? 512);
      const probe = spawnSync('blkid', ['-p', '-O', String(offset), raw], { encoding: 'utf8' });
      // Exit 2: no file system, no LUKS header, nothing.
      expect(probe.status, probe.stdout).toBe(2);
      // The same probe finds the root slot's ext4: it would see one here.
      const root = table.partitiontable.partitions.find((p) => p.name === 'root-a')!;
      const slot = spawnSync('blkid', ['-p', '-O', String(root.start * 512), raw], { encoding: 'utf8' });
      expect(slot.stdout).toMatch(/TYPE="ext4"/);
    } finally {
      dropTempDir(path.dirname(raw)); // the whole disk's bytes: now, not after the file
    }
  }, 300_000);

  it("the image's cryptsetup takes the switches the recovery-key prompt gives it", () => {
    // popt refuses an unknown switch (exit 1) before --help: a prompt that never appears otherwise.
    const line = /^\s*cryptsetup open (.*)$/m.exec(unlockScript)?.[1] ?? '';
    const switches = line.split(/\s+/).filter((w) => /^--[a-z-]+$/.test(w) && w !== '--tries');
    expect(switches).toContain('--disable-external-tokens');
    const r = spawnSync('chroot', [rootfs, 'cryptsetup', ...switches, '--help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bad = spawnSync('chroot', [rootfs, 'cryptsetup', '--no-such-switch', '--help'], {
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
  });

  it('enables the first boot copy, and only for a first boot', () => {
    const wants = path.join(rootfs, 'etc/systemd/system/multi-user.target.wants/blueprint-data-persist.path');
    expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    expect(readlinkSync(wants)).toMatch(/blueprint-data-persist\.path$/);
    const unit = readFileSync(path.join(rootfs, 'etc/systemd/system/blueprint-data-persist.service'), 'utf8');
    expect(unit).toMatch(/^ConditionPathExists=\/run\/blueprint\/data-first-boot$/m);
    expect(unit).toMatch(/^ConditionPathExists=\/var\/lib\/blueprint\/setup-done$/m);
    const exec = /^ExecStart=(\S+)$/m.exec(unit)?.[1] ?? '';
    expect(statSync(path.join(rootfs, exec)).mode & 0o111).not.toBe(0);
    // systemd's own view of the units, from the image's systemd-analyze.
    const verify = spawnSync(
      'chroot',
      [
        rootfs,
        'systemd-analyze',
        'verify',
        '--man=no',
        '/etc/systemd/system/blueprint-data-persist.service',
        '/etc/systemd/system/blueprint-data-persist.path',
      ],
      { encoding: 'utf8' },
    );
    expect(verify.stderr.split('\n').filter((l) => /blueprint-data-persist/.test(l))).toEqual([]);
    // The root has what the copy and the unlock run.
    for (const tool of [
      'usr/sbin/cryptsetup',
      'usr/sbin/mkfs.ext4',
      'usr/sbin/e2label',
      'usr/lib/systemd/systemd-cryptsetup',
    ])
      expect(existsSync(path.join(rootfs, tool)), tool).toBe(true);
  });

  describe.skipIf(!canLoop)('the initramfs script on a loop device, with the image own tools', () => {
    let dir: string;
    const loops: string[] = [];
    beforeAll(() => {
      dir = tempDir('bp-unlock-');
    });
    afterAll(() => {
      for (const d of loops) detach(d);
    });

    /**
     * Runs image/crypt/unlock as the initramfs would, in a mount namespace: the image's root under
     * an overlay (written changes go to a scratch folder), initramfs-tools' own scripts/functions,
     * and a /dev holding the loop device as /dev/disk/by-partlabel/data; the console is /dev/null
     * (an empty line typed: give up).
     */
    function unlock(dev: string) {
      const w = mkdtempSync(path.join(dir, 'ns-')); // inside dir: goes with it if a run stops here
      const { rdev } = statSync(dev);
      const major = Math.floor(rdev / 256) & 0xfff;
      const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
      const script = [
        'set -e',
        `mkdir -p ${w}/upper ${w}/work ${w}/m`,
        `mount -t overlay -o lowerdir=${rootfs},upperdir=${w}/upper,workdir=${w}/work x ${w}/m`,
        `cd ${w}/m`,
        'mount -t tmpfs dev dev && mount -t tmpfs run run && mount -t proc proc proc',
        `mknod dev/data b ${major} ${minor} && mknod dev/null c 1 3 && mknod dev/console c 1 3`,
        'mkdir -p dev/disk/by-partlabel && ln -s ../../data dev/disk/by-partlabel/data',
        'mkdir -p scripts && cp usr/share/initramfs-tools/scripts/functions scripts/functions',
        `cp ${path.join(repo, 'image/crypt/unlock')} unlock`,
        'set +e',
        `chroot . /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin quiet=n timeout 120 /bin/sh /unlock; echo "rc=$?"`,
        'cat run/blueprint/data-first-boot 2>/dev/null | sed "s/^/flag=/"',
      ].join('\n');
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
        encoding: 'utf8',
      });
      rmSync(w, { recursive: true, force: true });
      return {
        out: `${r.stdout}${r.stderr}`,
        rc: /rc=(\d+)/.exec(r.stdout)?.[1],
        flag: /flag=(.*)/.exec(r.stdout)?.[1],
      };
    }
    const loop = async (name: string) => {
      const d = await loopDevice(dir, name);
      loops.push(d);
      return d;
    };

    it('a blank partition: the first boot in memory', async () => {
      const r = unlock(await loop('blank.img'));
      expect(r).toMatchObject({ rc: '0', flag: 'blank' });
    });

    it('a first boot cut short (labelled unfinished): in memory again; a finished ext4 mounted as built', async () => {
      const cut = await loop('cut.img');
      execFileSync('mkfs.ext4', ['-q', '-L', UNFINISHED_LABEL, cut]);
      expect(unlock(cut)).toMatchObject({ rc: '0', flag: 'unfinished' });
      const plain = await loop('plain.img');
      execFileSync('mkfs.ext4', ['-q', '-L', 'data', plain]);
      const r = unlock(plain);
      expect(r).toMatchObject({ rc: '0', flag: undefined });
      expect(r.out).not.toMatch(/TPM/);
    });

    it('an encrypted one the TPM cannot open: asks on the console, and never stops the boot', async () => {
      const dev = await loop('luks.img');
      await encryptDevice({
        device: dev,
        name: 'data',
        mode: 'passphrase',
        passphrase: 'correct horse',
        crypttab: path.join(dir, 'crypttab'),
        fastKdf: true,
      });
      execFileSync('cryptsetup', ['config', '--label', 'data', dev]);
      // No TPM here: the TPM step fails, the console is asked (five times, nothing typed), and the
      // boot goes on without /data. The recovery key typed at a real console: the qemu test's.
      const r = unlock(dev);
      expect(r.rc).toBe('0');
      expect(r.flag).toBeUndefined();
      expect(r.out).toMatch(/the TPM did not unlock the data partition/);
      expect(r.out).toMatch(/data partition not unlocked: booting without it/);
    });
  });
});
