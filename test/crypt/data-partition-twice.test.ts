/**
 * The setup wizard encrypts the blank partition named `data`. The initramfs halts a box on which
 * two disks carry a partition of that name (a USB stick would be taken for the box's own data),
 * but that check runs at boot: a blank stick partition named `data` plugged in afterwards could be
 * the one udev's /dev/disk/by-partlabel/data (the last one seen) or the kernel's list names, and
 * setup encrypted the stick and moved the box's data onto it. Now two partitions of that name give
 * no partition to encrypt, whichever the link names. Two real blank loop devices, the kernel's
 * partition list (sysfs) as the test lays it out for them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptableDevice } from '../../src/core/crypt/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { canLoop, detach, loopDevice } from './loop-helpers.js';

describe.skipIf(!canLoop)('two partitions named data', () => {
  const dir = tempDir('bp-data-twice-');
  const sys = path.join(dir, 'sys');
  const devs: string[] = [];
  /** The kernel's entry for a block device: a partition named `name`. */
  const entry = async (dev: string, name: string) => {
    const base = path.basename(dev);
    await mkdir(path.join(sys, base), { recursive: true });
    await writeFile(
      path.join(sys, base, 'uevent'),
      `MAJOR=7\nDEVNAME=${base}\nDEVTYPE=partition\nPARTN=1\nPARTNAME=${name}\n`,
    );
  };
  beforeAll(async () => {
    devs.push(await loopDevice(dir, 'box.img'), await loopDevice(dir, 'stick.img'));
  });
  afterAll(() => {
    for (const d of devs) detach(d);
  });

  it('one blank partition named data is the one to encrypt', async () => {
    await entry(devs[0]!, 'data');
    await entry(devs[1]!, 'data-old');
    expect(await encryptableDevice(undefined, undefined, undefined, sys, path.join(dir, 'no-link'))).toBe(
      devs[0],
    );
  });

  it('two: none is encrypted, whether udev links the stick or the kernel lists it first', async () => {
    await entry(devs[1]!, 'data');
    // Before: the first the kernel listed (or the link's) was taken, blank as both are.
    expect(await encryptableDevice(undefined, undefined, undefined, sys, path.join(dir, 'no-link'))).toBe(
      undefined,
    );
    expect(await encryptableDevice(undefined, undefined, undefined, sys, devs[1]!)).toBe(undefined);
  });
});
