import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blankProbe,
  type CryptTools,
  DATA_PARTITION,
  encryptableDevice,
  findDataPartition,
} from '../../src/core/crypt/index.js';
import { tempDir } from '../setup/temp-registry.js';

// Early in a slow boot udev has not made /dev/disk/by-partlabel/data yet (seen under TCG: setup
// from a provisioning disk found "no blank data partition"); the kernel already names the
// partition in sysfs.
describe('finding the data partition', () => {
  let sys: string;
  beforeAll(async () => {
    sys = tempDir('bp-sys-');
    const part = async (name: string, uevent: string) => {
      await mkdir(path.join(sys, name));
      await writeFile(path.join(sys, name, 'uevent'), uevent);
    };
    await part('vda', 'MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n');
    await part('vda1', 'MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=esp\n');
    await part('vda4', 'MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\nPARTN=4\nPARTNAME=data\n');
    await part('vdb1', 'MAJOR=254\nMINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=data-old\n');
  });

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

// `blkid -p` on a partition (not a loop device) also reports the partition table's entry for it
// (PART_ENTRY_NAME=data, ...) and exits 0 even when the partition holds nothing: seen under qemu,
// where setup found "no blank data partition" on a blank one.
describe('a blank GPT partition as blkid -p reports it', () => {
  const partEntry =
    'DEVNAME=/dev/vda4\nPART_ENTRY_SCHEME=gpt\nPART_ENTRY_NAME=data\nPART_ENTRY_UUID=0f6a\nPART_ENTRY_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4\nPART_ENTRY_NUMBER=4\nPART_ENTRY_OFFSET=2048\nPART_ENTRY_SIZE=4096\nPART_ENTRY_DISK=254:0\n';
  it('is blank: only the partition entry, no file system, no partition table', () => {
    expect(blankProbe({ code: 0, stdout: partEntry })).toBe(true);
    expect(blankProbe({ code: 2, stdout: '' })).toBe(true);
  });
  it('is not blank with a file system, a LUKS header or a partition table in it, nor when unreadable', () => {
    expect(blankProbe({ code: 0, stdout: `${partEntry}LABEL=data\nTYPE=ext4\n` })).toBe(false);
    expect(blankProbe({ code: 0, stdout: `${partEntry}TYPE=crypto_LUKS\n` })).toBe(false);
    expect(blankProbe({ code: 0, stdout: `${partEntry}PTTYPE=dos\n` })).toBe(false);
    expect(blankProbe({ code: 4, stdout: '' })).toBe(false);
    expect(blankProbe({ code: 8, stdout: partEntry })).toBe(false);
  });
  it('encryptableDevice takes it', async () => {
    const dev = tempDir('bp-part-');
    const tools: CryptTools = { run: async () => ({ code: 0, stdout: partEntry, stderr: '' }) };
    expect(await encryptableDevice(dev, tools)).toBe(dev);
    const ext4: CryptTools = {
      run: async () => ({ code: 0, stdout: `${partEntry}TYPE=ext4\nLABEL=data\n`, stderr: '' }),
    };
    expect(await encryptableDevice(dev, ext4)).toBeUndefined();
  });
});
