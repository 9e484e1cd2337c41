/**
 * The single-slot image boots `root=LABEL=root` (image/cmdline). initramfs-tools resolves that with
 * `blkid -l -t LABEL=root`: one device, whichever blkid or udev found first. A USB stick whose
 * filesystem is labelled `root` was taken for the box's root: its own system booted with the box's
 * disk beside it, past a firmware that refuses to boot from USB. Naming the root by a UUID written
 * at build time would not help: every box made from one image has the same UUID, and the image is
 * public. The A/B layout halts on a second partition of one of its names (boot-partition-names);
 * the single-slot image now does the same for the device its command line names: a local-premount
 * script (before the root is checked or mounted) asks blkid, probing every device afresh, how many
 * carry that LABEL=, UUID=, PARTLABEL= or PARTUUID=, and halts the box if more than one does.
 *
 * Run here with the script's own text and the real blkid on loop devices (root), so what is
 * counted is what blkid reads from the bytes; the initramfs' helpers and halt are stubs, and the
 * command line is a file. Labels and UUIDs are this test's own, so the host's disks never count.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = new URL('../../', import.meta.url);
/** Where the image's overlay puts it; initramfs-tools takes every executable there. */
const SCRIPT = 'image/overlay/usr/share/initramfs-tools/scripts/local-premount/blueprint-root-unique';
const script = () => readFileSync(new URL(SCRIPT, repo), 'utf8');

const canLoop =
  process.getuid?.() === 0 &&
  existsSync('/dev/loop-control') &&
  ['/usr/sbin/losetup', '/usr/sbin/blkid', '/usr/sbin/mkfs.ext4'].every((p) => existsSync(p));

describe.skipIf(!canLoop)('the single-slot initramfs halts when two disks carry the root it boots', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'n-root-unique-'));
  const loops: string[] = [];
  const label = `bpr${process.pid}`.slice(0, 16); // ext4 labels are at most 16 bytes
  const uuid = randomUUID();
  const other = `bpo${process.pid}`.slice(0, 16);

  /** An ext4 filesystem on a loop device of its own, as a USB stick (or the box's disk) is. */
  function disk(name: string, mkfs: string[]): string {
    const file = path.join(work, name);
    writeFileSync(file, '');
    execFileSync('truncate', ['-s', '16M', file]);
    execFileSync('mkfs.ext4', ['-q', '-F', ...mkfs, file]);
    const dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
    loops.push(dev);
    return dev;
  }

  /** The script as initramfs-tools would run it, with `cmdline` for /proc/cmdline. */
  function boot(cmdline: string) {
    const text = script();
    for (const needle of ['. /scripts/functions', '/proc/cmdline', '/dev/kmsg', 'halt -f', 'blkid']) {
      expect(text, `the script no longer says ${needle}: adapt this test`).toContain(needle);
    }
    const run = mkdtempSync(path.join(work, 'run-'));
    writeFileSync(path.join(run, 'cmdline'), `${cmdline}\n`);
    writeFileSync(
      path.join(run, 'functions'),
      'wait_for_udev() { :; }\nlog_failure_msg() { echo "FAILURE: $*"; }\nlog_warning_msg() { echo "WARNING: $*"; }\n',
    );
    writeFileSync(
      path.join(run, 'script'),
      text
        .replace('. /scripts/functions', `. ${run}/functions`)
        .replaceAll('/proc/cmdline', `${run}/cmdline`)
        .replaceAll('/dev/kmsg', `${run}/kmsg`)
        .replaceAll('halt -f', 'echo HALTED; exit 99'),
    );
    const r = spawnSync('/bin/sh', [path.join(run, 'script')], {
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let kmsg = '';
    try {
      kmsg = readFileSync(path.join(run, 'kmsg'), 'utf8');
    } catch {}
    return { status: r.status, out: r.stdout + r.stderr, kmsg };
  }
  const cmd = (root: string) => `${root} ro console=tty1 console=ttyS0,115200n8 panic=0 quiet`;

  beforeAll(() => {
    disk('box', ['-L', label, '-U', uuid]); // the box's own root
    disk('plain', []); // a stick of no interest
    disk('answers', ['-L', 'BLUEPRINT']);
    disk('otherlabel', ['-L', other]);
  });
  afterAll(() => {
    for (const dev of loops) spawnSync('losetup', ['-d', dev]);
    rmSync(work, { recursive: true, force: true });
  });

  it('the box alone, beside sticks of other labels: boots on', () => {
    for (const root of [`root=LABEL=${label}`, `root=UUID=${uuid}`]) {
      const r = boot(cmd(root));
      expect(r.out).not.toContain('HALTED');
      expect(r.status).toBe(0);
    }
  });

  it('a stick whose filesystem has the label the box boots: halted, with the reason on the console', () => {
    disk('stick-label', ['-L', label]);
    const r = boot(cmd(`root=LABEL=${label}`));
    expect(r.out).toContain('HALTED');
    expect(r.status).toBe(99);
    expect(r.out).toMatch(new RegExp(`FAILURE: .*LABEL=${label}`));
    // Also in the kernel's log at level 2 (crit), which `quiet` still shows on every console.
    expect(r.kmsg).toMatch(
      new RegExp(`^<2>blueprint: 2 disks carry the root this box boots \\(LABEL=${label}\\)`),
    );
  });

  it("a stick made from the public image (the root's UUID is every box's): halted", () => {
    disk('stick-uuid', ['-L', 'anything', '-U', uuid]);
    const r = boot(cmd(`root=UUID=${uuid}`));
    expect(r.out).toContain('HALTED');
    expect(r.status).toBe(99);
  });

  it('the last root= on the command line is the one counted, as initramfs-tools takes it', () => {
    // `other` is on one device only; LABEL=label is on two by now.
    expect(boot(cmd(`root=LABEL=${label} root=LABEL=${other}`)).status).toBe(0);
    expect(boot(cmd(`root=LABEL=${other} root=LABEL=${label}`)).status).toBe(99);
  });
});

describe('the single-slot image carries the check', () => {
  it('its command line names the root by LABEL, a name the script counts', () => {
    const cmdline = readFileSync(new URL('image/cmdline', repo), 'utf8');
    const root = cmdline.match(/(?:^|\s)root=(\S+)/)?.[1];
    expect(root).toBe('LABEL=root');
    expect(script()).toMatch(/LABEL=\*/);
  });

  it('the script is executable in the overlay, and configure.sh builds the initramfs again after the overlay', () => {
    // The build makes the initramfs before the overlay is copied; configure.sh runs after it.
    expect(statSync(new URL(SCRIPT, repo)).mode & 0o111).toBe(0o111);
    const mode = execFileSync('git', ['ls-files', '-s', SCRIPT], { cwd: repo, encoding: 'utf8' }).split(
      ' ',
    )[0];
    expect(mode).toBe('100755');
    expect(readFileSync(new URL('image/configure.sh', repo), 'utf8')).toMatch(
      /^update-initramfs -u -k all$/m,
    );
  });
});
