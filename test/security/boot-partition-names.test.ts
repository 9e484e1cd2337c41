/**
 * An A/B box finds its partitions by GPT name: `root=PARTLABEL=root-a` on the command line,
 * `/dev/disk/by-partlabel/data` in the initramfs, `PARTLABEL=esp` in fstab. A USB stick with a
 * partition of one of those names is taken for the box's own when udev points the link at it:
 *  - its `root-a` boots the stick's system, with the data key unsealed by the TPM in the
 *    initramfs (sealed to PCR 7 only, which does not see the root) or unsealable from it;
 *  - a blank `data` makes the initramfs take the boot for a first one (/data in memory): no
 *    setup-done, so the first-boot wizard runs as root on the console of a set-up box.
 * The initramfs (image/rauc/initramfs-data, local-bottom: after the root is mounted, before
 * anything from it runs) now counts the kernel's partitions of each name (PARTNAME in sysfs) and
 * halts the box if any name is claimed twice; it never drops to a shell.
 *
 * Run here with the script's own text and a fake /sys/class/block; the initramfs' helpers and halt
 * are stubs, and so is sleep (the script waits 10 s for a data partition the test does not have).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeBlockDevices, recordingStubs, textOrNothing } from '../helpers/shell-stubs.js';

const dataScript = readFileSync(new URL('../../image/rauc/initramfs-data', import.meta.url), 'utf8');
const unlockScript = readFileSync(new URL('../../image/crypt/unlock', import.meta.url), 'utf8');
const cmdline = readFileSync(new URL('../../image/cmdline', import.meta.url), 'utf8')
  .trim()
  .split(/\s+/);
let work = '';
afterEach(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// Runs the script with block devices NAME -> PARTNAME (undefined: a whole disk, no name).
function boot(devices: Record<string, string | undefined>, script = dataScript) {
  work = mkdtempSync(path.join(tmpdir(), 'g-initramfs-'));
  const sys = path.join(work, 'sys/class/block');
  fakeBlockDevices(sys, devices);
  writeFileSync(
    path.join(work, 'functions'),
    'wait_for_udev() { :; }\nlog_failure_msg() { echo "FAILURE: $*"; }\nlog_warning_msg() { echo "WARNING: $*"; }\n',
  );
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  // blkid answers as for a LUKS2 data partition, so the unlock goes on to the TPM if let.
  recordingStubs(
    work,
    bin,
    ['sleep', 'modprobe', 'mount', 'mkdir', 'cryptsetup', 'systemd-cryptsetup', 'blkid'],
    {
      blkid: 'echo TYPE=crypto_LUKS\n',
    },
  );
  for (const needle of ['. /scripts/functions', '/sys/class/block', '/dev/kmsg', 'halt -f']) {
    expect(script, `the script no longer says ${needle}: adapt this test`).toContain(needle);
  }
  const text = script
    .replace('. /scripts/functions', `. ${work}/functions`)
    .replaceAll('/sys/class/block', sys)
    .replaceAll('halt -f', 'echo HALTED; exit 99')
    // The kernel's log is a file here: the test never writes to this host's.
    .replaceAll('/dev/kmsg', path.join(work, 'kmsg'))
    .replaceAll('@WORK@', work);
  writeFileSync(path.join(work, 'datadev'), '');
  writeFileSync(path.join(work, 'blueprint-data'), text);
  const r = spawnSync('/bin/sh', [path.join(work, 'blueprint-data')], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, rootmnt: path.join(work, 'root') },
  });
  const calls = textOrNothing(path.join(work, 'calls'));
  const kmsg = textOrNothing(path.join(work, 'kmsg'));
  return {
    status: r.status,
    out: r.stdout + r.stderr,
    kmsg,
    mounted: /^mount /m.test(calls),
    tpmAsked: /cryptsetup|blkid/.test(calls),
  };
}

const disk = {
  nvme0n1: undefined,
  nvme0n1p1: 'esp',
  nvme0n1p2: 'root-a',
  nvme0n1p3: 'root-b',
  nvme0n1p4: 'data',
};

describe('the initramfs of an A/B box stops when another disk claims one of its partition names', () => {
  it.each(['root-a', 'root-b', 'data', 'esp'])(
    'a USB stick with a partition named %s: halted, nothing mounted',
    (name) => {
      const r = boot({ ...disk, sda: undefined, sda1: name });
      expect(r.out).toContain('HALTED');
      expect(r.out).toMatch(new RegExp(`${name}`));
      expect(r.status).toBe(99);
      expect(r.mounted).toBe(false);
      // log_failure_msg prints nothing under the image's `quiet`, and the script's own output
      // reaches only /dev/console (the serial line): the reason also goes to the kernel's log at
      // level 2 (crit), which the kernel shows on every console, the screen included, quiet or not.
      expect(r.kmsg).toBe(
        `<2>blueprint: two disks have a partition named ${name}; remove the one that is not this box's own and start it again\n`,
      );
    },
  );

  it.each(['root-a', 'data'])(
    'an encrypted box, a stick with %s: halted in local-premount, before the TPM is asked',
    (name) => {
      // image/crypt/unlock opens the data partition with the TPM before the root is mounted; a root
      // mount that then fails would give initramfs-tools' shell with that volume open.
      const text = unlockScript
        .replace('command -v cryptsetup >/dev/null || exit 0', '')
        .replaceAll('/usr/sbin/blkid', 'blkid')
        .replaceAll('/lib/systemd/systemd-cryptsetup', 'systemd-cryptsetup')
        // A plain file stands for the data partition's block device.
        .replace('dev=/dev/disk/by-partlabel/data', 'dev=@WORK@/datadev')
        .replaceAll('[ ! -b "$dev" ]', '[ ! -e "$dev" ]')
        .replaceAll('[ -b "$dev" ]', '[ -e "$dev" ]');
      expect(text).toContain('dev=@WORK@/datadev');
      const r = boot({ ...disk, sda: undefined, sda1: name }, text);
      expect(r.tpmAsked, r.out).toBe(false);
      expect(r.out).toContain('HALTED');
      expect(r.kmsg).toMatch(new RegExp(`^<2>blueprint: two disks have a partition named ${name};`));
    },
  );

  it('initramfs-tools halts instead of opening a root shell when the root cannot be mounted', () => {
    // Its panic() gives a shell on the console unless the command line has panic= ("The panic=
    // parameter implies we should disallow console access"); 0 is the kernel's own default
    // (CONFIG_PANIC_TIMEOUT=0 in Debian 12): a kernel panic waits as before.
    expect(cmdline).toContain('panic=0');
  });

  it('the box alone, and beside a stick with other names (BLUEPRINT answers, a plain stick): boots on', () => {
    for (const extra of [{}, { sda: undefined, sda1: 'BLUEPRINT' }, { sdb: undefined, sdb1: undefined }]) {
      const r = boot({ ...disk, ...extra });
      expect(r.out).not.toContain('HALTED');
      expect(r.status).toBe(0);
      expect(r.kmsg).toBe('');
    }
  });
});
