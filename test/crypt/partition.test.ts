import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PARTITION, findDataPartition } from '../../src/core/crypt/index.js';

// Early in a slow boot udev has not made /dev/disk/by-partlabel/data yet (seen under TCG: setup
// from a provisioning disk found "no blank data partition"); the kernel already names the
// partition in sysfs.
describe('finding the data partition', () => {
  let sys: string;
  beforeAll(async () => {
    sys = await mkdtemp(path.join(os.tmpdir(), 'bp-sys-'));
    const part = async (name: string, uevent: string) => {
      await mkdir(path.join(sys, name));
      await writeFile(path.join(sys, name, 'uevent'), uevent);
    };
    await part('vda', 'MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n');
    await part('vda1', 'MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=esp\n');
    await part('vda4', 'MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\nPARTN=4\nPARTNAME=data\n');
    await part('vdb1', 'MAJOR=254\nMINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=data-old\n');
  });
  afterAll(() => rm(sys, { recursive: true, force: true }));

  it("takes the kernel's partition named data when udev's link is not there yet", async () => {
    expect(await findDataPartition(path.join(sys, 'missing-link'), sys)).toBe('/dev/vda4');
  });

  it("prefers udev's link, and falls back to it when sysfs has no such partition", async () => {
    expect(await findDataPartition(sys, sys)).toBe(sys);
    const empty = path.join(sys, 'vda');
    expect(await findDataPartition(path.join(sys, 'missing-link'), empty)).toBe(
      path.join(sys, 'missing-link'),
    );
    expect(DATA_PARTITION).toBe('/dev/disk/by-partlabel/data');
  });
});
