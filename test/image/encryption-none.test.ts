// The default A/B disk (data partition left blank for its first boot to encrypt, issue 23) on a box
// with no TPM, whose admin said an explicit no: `setup --answers` with `encryption: {mode: none}`.
// The first boot runs in memory, setup leaves the partition unencrypted, blueprint-data-persist
// makes it plain ext4, copies /data and reboots; the next boot mounts it with no prompt and status
// says "not encrypted, no TPM". Its systemd-analyze is the "boot without encryption" figure set
// beside the TPM-unlocked one (encryption-boot.test.ts) in image/README.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisioningDisk } from './image.js';
import { Guest } from './qemu.js';
import { adminShell, encDir, encTestsSkipped, waitForData } from './tpm.js';

describe.skipIf(encTestsSkipped)('no TPM, and an explicit no to encryption', () => {
  const guest = new Guest();
  const { key, login, asRoot } = adminShell(guest);
  const figures: string[] = [];

  beforeAll(() => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@plain', '-f', key]);
    provisioningDisk(guest.dir, {
      hostname: 'bp-plain',
      admin: { name: 'admin', keys: [readFileSync(`${key}.pub`, 'utf8').trim()] },
      ssh: { enabled: true },
      encryption: { mode: 'none' },
    } as Parameters<typeof provisioningDisk>[1]);
  });
  afterAll(async () => {
    if (figures.length) console.info(`no-encryption figures:\n  ${figures.join('\n  ')}`);
    await guest.stop();
  });

  it('the first boot makes the data partition plain ext4, and the next boot mounts it', {
    timeout: 3_000_000,
  }, async () => {
    const t0 = Date.now();
    await guest.start({
      uefi: true,
      imageDir: encDir,
      reboot: true,
      memoryMiB: 1536,
      disks: [path.join(guest.dir, 'blueprint.img')],
    });
    await guest.waitForSsh('admin', login, 300);
    const inMemory = await waitForData(guest, asRoot, (s) => s !== '/dev/mapper/data', 2_400_000);
    expect(inMemory).toBe(true);
    figures.push(
      `first boot to the plain /data after its reboot: ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    expect(guest.console).not.toMatch(/recovery key|TPM did not unlock/);
    const source = (await asRoot('findmnt -no SOURCE,FSTYPE /data')).stdout.trim().split(/\s+/);
    expect(source[1]).toBe('ext4');
    expect((await asRoot(`blkid -p -o value -s LABEL ${source[0]}`)).stdout.trim()).toBe('data');
    // The initramfs mounts it by its link: the same device as the GPT entry `data`.
    expect((await asRoot(`readlink -f ${source[0]}`)).stdout.trim()).toBe(
      (await asRoot('readlink -f /dev/disk/by-partlabel/data')).stdout.trim(),
    );
    const st = JSON.parse((await asRoot('blueprint --json status')).stdout) as {
      encryption: Record<string, unknown>;
    };
    expect(st.encryption).toMatchObject({ encrypted: false, tpmPresent: false });
    expect((await asRoot('test -e /var/lib/blueprint/setup-done && hostname')).stdout.trim()).toBe(
      'bp-plain',
    );
    // The boot that mounted the plain partition, measured as the TPM-unlocked one is.
    await asRoot('systemctl is-system-running --wait; true');
    figures.push(
      `later boot, plain data partition: ${(await asRoot('systemd-analyze')).stdout.trim().split('\n')[0]}`,
    );
  });
});
