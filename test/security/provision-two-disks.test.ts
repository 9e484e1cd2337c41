import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountNamespaceUsable } from '../helpers/mount-namespace.js';
import { bootOnce, provisionWork, stickMount, workFiles } from '../helpers/provision-harness.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * Two disks labelled BLUEPRINT: the box's owner's stick and one somebody else put in beside it
 * (a second USB port, a hub). provision-from-disk mounted /dev/disk/by-label/BLUEPRINT, the one
 * device udev's link happened to point at, and set the box up from its answers: whoever's stick
 * won chose the admin, their SSH key and SSH on. As blueprint-root-unique does for root=, every
 * device is now probed afresh (blkid, no cache) and two carrying the label stop the provisioning
 * before either is mounted: the consoles stay locked and say why. With one, that device (the one
 * counted, not whatever the link points at by then) is mounted.
 *
 * The real script and the wizard unit's ExecStart run in a private mount namespace, as in
 * provision-failed-console: `blkid` is a stand-in listing the devices that carry the label, and
 * `journalctl` hands the console what the script wrote to its journal.
 */
let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-two'));
});
afterEach(() => cleanup());

/** One boot with these devices labelled BLUEPRINT: the provisioning, then tty1's wizard unit. */
async function boot(devices: string[]) {
  await writeFile(path.join(work, 'devices'), devices.map((d) => `${d}\n`).join(''));
  const fake = await provisionWork(work, {
    tools: {
      udevadm: 'exit 0',
      // What the real blkid prints for `-o device -t LABEL=BLUEPRINT`: one device a line; exit 2
      // when none carries it.
      // Asked for a device's type (`-p -o value -s TYPE DEV`), it answers vfat.
      blkid: `echo "$@" >>${work}/blkid-argv; case "$*" in *"-s TYPE"*) echo vfat; exit 0;; esac; [ -s ${work}/devices ] || exit 2; cat ${work}/devices`,
      mount: stickMount(work, `echo "mount $*" >>${work}/calls; `),
      umount: '/usr/bin/umount "$1"',
      journalctl: `cat ${work}/journal`,
      sleep: `if [ "$1" = infinity ]; then echo LOCKED >>${work}/calls; fi; exit 0`,
    },
    blueprint: `echo "blueprint $*" >>${work}/calls\n[ "$2" = --unattended ] || exit 0\nexit 0`,
  });
  return { ...(await bootOnce(work, fake)), blkid: await workFiles(work)('blkid-argv') };
}

describe.skipIf(!mountNamespaceUsable)('two disks labelled BLUEPRINT', () => {
  it('are refused: neither is mounted, nothing set up, the consoles locked saying why', async () => {
    const r = await boot(['/dev/sdb1', '/dev/sdc1']);
    expect(r.calls.filter((c) => c.startsWith('mount '))).toEqual([]);
    expect(r.calls.some((c) => c.startsWith('blueprint setup --unattended'))).toBe(false);
    expect(r.rc).toBe(1);
    // Every device probed afresh, not the cache a stick could have been left out of.
    expect(r.blkid).toMatch(/-c \/dev\/null/);
    expect(r.blkid).toMatch(/-t LABEL=BLUEPRINT/);
    // The console wizard does not run either: the consoles are locked, and say why.
    expect(r.calls).not.toContain('blueprint setup');
    expect(r.calls).toContain('LOCKED');
    for (const [where, text] of [
      ['journal', r.journal],
      ['screen (tty1)', r.screen],
      ['locked console', r.tty],
    ])
      expect(text, where).toMatch(
        /2 disks are labelled BLUEPRINT \(\/dev\/sdb1 \/dev\/sdc1\).*nothing was set up/,
      );
  });

  it('one is used as before, and the device mounted is the one counted', async () => {
    const r = await boot(['/dev/sdb1']);
    expect(r.calls).toContain('blueprint setup --unattended --answers /run/blueprint/provision/answers.json');
    expect(r.calls.find((c) => c.startsWith('mount '))).toBe(
      'mount -t vfat -o ro,nosuid,nodev,noexec /dev/sdb1 /run/blueprint/provision',
    );
    expect(r.rc).toBe(0);
    // Its type read from the device counted, before the mount.
    expect(r.blkid).toMatch(/-p -o value -s TYPE -- \/dev\/sdb1/);
  });
});
