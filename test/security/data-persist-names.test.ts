/**
 * image/crypt/data-persist ends a first boot: it makes a file system on the partition named data
 * (/dev/disk/by-partlabel/data: udev's link, the last partition of that name it saw), copies the
 * memory /data onto it and reboots. The initramfs halts a box whose disks carry two partitions of
 * that name, but only at boot: with a blank USB stick partition named data plugged in since (and
 * setup left unencrypted, so nothing of crypttab says which), the link could be the stick's, and
 * the box's data went onto the stick. Now the script counts the kernel's partitions named data
 * first and stops, formatting nothing, when there are two.
 *
 * Run here with the script's own text, a fake /sys/class/block and /data, and every command that
 * would change this host (mkfs, mount, cp, systemctl, e2label…) a stub that records its call.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeBlockDevices, recordingStubs, textOrNothing } from '../helpers/shell-stubs.js';
import { tempDir } from '../setup/temp-registry.js';

const script = readFileSync(new URL('../../image/crypt/data-persist', import.meta.url), 'utf8');

/** Runs the script with block devices NAME -> PARTNAME, blkid answering "nothing there". */
function persist(devices: Record<string, string>) {
  const work = tempDir('bp-data-persist-');
  const sys = path.join(work, 'sys/class/block');
  fakeBlockDevices(sys, devices);
  mkdirSync(path.join(work, 'run/blueprint'), { recursive: true });
  writeFileSync(path.join(work, 'run/blueprint/data-first-boot'), 'blank\n');
  mkdirSync(path.join(work, 'data/overlay/etc'), { recursive: true });
  mkdirSync(path.join(work, 'data/overlay/var'), { recursive: true });
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  const stubs = ['blkid', 'mkfs.ext4', 'mount', 'umount', 'cp', 'sync', 'systemctl', 'e2label', 'cryptsetup'];
  // blkid -p of a blank partition: nothing found, exit 2.
  recordingStubs(work, bin, stubs, { blkid: 'exit 2\n' });
  for (const needle of ['/run/blueprint', '/data/']) expect(script).toContain(needle);
  const text = script
    .replaceAll('/run/blueprint', path.join(work, 'run/blueprint'))
    .replaceAll('/sys/class/block', sys)
    .replaceAll('/dev/kmsg', path.join(work, 'kmsg'))
    .replaceAll('/data/', `${work}/data/`);
  writeFileSync(path.join(work, 'data-persist'), text);
  const r = spawnSync('/bin/sh', [path.join(work, 'data-persist')], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin` },
  });
  const calls = textOrNothing(path.join(work, 'calls'));
  const kmsg = textOrNothing(path.join(work, 'kmsg'));
  return { status: r.status, out: r.stdout + r.stderr, calls, kmsg };
}

const box = { nvme0n1p1: 'esp', nvme0n1p2: 'root-a', nvme0n1p3: 'root-b', nvme0n1p4: 'data' };

describe('the first boot copy of /data with a second partition named data', () => {
  it('one partition named data: formatted, /data copied on, rebooted (as before)', () => {
    const r = persist(box);
    expect(r.status, r.out).toBe(0);
    expect(r.calls).toMatch(/^mkfs\.ext4 /m);
    expect(r.calls).toMatch(/^systemctl reboot$/m);
  });

  it('a USB stick with a partition named data too: nothing formatted, no reboot, the reason said', () => {
    const r = persist({ ...box, sda1: 'data' });
    // Before: mkfs.ext4 on /dev/disk/by-partlabel/data, whichever disk it named, and a reboot.
    expect(r.calls).not.toMatch(/mkfs|^mount |^cp |reboot/m);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/two disks have a partition named data/);
    expect(r.kmsg).toMatch(/^<2>blueprint: two disks have a partition named data/);
  });
});
