import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountNamespaceUsable, standInDev } from '../helpers/mount-namespace.js';
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
const overlay = new URL('../../image/overlay/', import.meta.url).pathname;
const unit = () =>
  readFile(path.join(overlay, 'etc/systemd/system/blueprint-setup@.service'), 'utf8').then(
    (t) => /^ExecStart=(.*)$/m.exec(t)?.[1] ?? '',
  );

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-two'));
});
afterEach(() => cleanup());

/** One boot with these devices labelled BLUEPRINT: the provisioning, then tty1's wizard unit. */
async function boot(devices: string[]) {
  const fake = path.join(work, 'fakebin');
  await mkdir(fake);
  await mkdir(path.join(work, 'stick'));
  await writeFile(path.join(work, 'stick/answers.json'), '{"hostname":"box"}\n');
  await writeFile(path.join(work, 'devices'), devices.map((d) => `${d}\n`).join(''));
  const tools: Record<string, string> = {
    udevadm: 'exit 0',
    // What the real blkid prints for `-o device -t LABEL=BLUEPRINT`: one device a line; exit 2
    // when none carries it.
    // Asked for a device's type (`-p -o value -s TYPE DEV`), it answers vfat.
    blkid: `echo "$@" >>${work}/blkid-argv; case "$*" in *"-s TYPE"*) echo vfat; exit 0;; esac; [ -s ${work}/devices ] || exit 2; cat ${work}/devices`,
    mount: `echo "mount $*" >>${work}/calls; eval "dest=\\\${$#}"; /usr/bin/mount --bind -o ro "${work}/stick" "$dest"`,
    umount: '/usr/bin/umount "$1"',
    journalctl: `cat ${work}/journal`,
    sleep: `if [ "$1" = infinity ]; then echo LOCKED >>${work}/calls; fi; exit 0`,
  };
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(path.join(fake, name), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(fake, name), 0o755);
  }
  await writeFile(
    path.join(work, 'blueprint'),
    `#!/bin/sh\necho "blueprint $*" >>${work}/calls\n[ "$2" = --unattended ] || exit 0\nexit 0\n`,
  );
  await chmod(path.join(work, 'blueprint'), 0o755);
  const dev = await standInDev(work);
  const script = `${overlay}usr/local/lib/blueprint/provision-from-disk`;
  const harness = [
    'set -e',
    ...dev,
    'mount -t tmpfs run /run',
    'mount -t tmpfs lib /var/lib',
    'mount -t tmpfs local /usr/local',
    'mkdir -p /usr/local/bin /usr/local/lib/blueprint',
    `mount --bind -o ro ${overlay}usr/local/lib/blueprint /usr/local/lib/blueprint`,
    `cp ${work}/blueprint /usr/local/bin/blueprint`,
    'set +e',
    `PATH="${fake}:$PATH" sh ${script} >>${work}/journal 2>&1; echo "rc $?" >>${work}/calls`,
    `cp /dev/tty1 ${work}/screen`,
    `cd / && PATH="${fake}:/usr/sbin:/usr/bin:/sbin:/bin" TERM=linux HOME=/root ${await unit()} </dev/null >${work}/tty 2>&1`,
    'exit 0',
  ].join('\n');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', harness], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  const read = (f: string) => readFile(path.join(work, f), 'utf8').catch(() => '');
  return {
    calls: (await read('calls')).split('\n').filter(Boolean),
    journal: await read('journal'),
    screen: await read('screen'),
    tty: await read('tty'),
    blkid: await read('blkid-argv'),
  };
}

describe.skipIf(!mountNamespaceUsable)('two disks labelled BLUEPRINT', () => {
  it('are refused: neither is mounted, nothing set up, the consoles locked saying why', async () => {
    const r = await boot(['/dev/sdb1', '/dev/sdc1']);
    expect(r.calls.filter((c) => c.startsWith('mount '))).toEqual([]);
    expect(r.calls.some((c) => c.startsWith('blueprint setup --unattended'))).toBe(false);
    expect(r.calls).toContain('rc 1');
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
    expect(r.calls).toContain('rc 0');
    // Its type read from the device counted, before the mount.
    expect(r.blkid).toMatch(/-p -o value -s TYPE -- \/dev\/sdb1/);
  });
});
