// The data partition encrypted at first boot and unlocked by a TPM (issue 23), in a booted box:
// the --encrypt-data A/B disk (`scripts/build-image.sh --ab --uefi --encrypt-data --out
// build/image-enc`) under OVMF with Debian's swtpm as its TPM 2.0. First boot: setup from answers
// encrypts and seals to PCR 7, /data is copied on, the box reboots and unlocks with no prompt; a
// marker written in the guest is not in the disk's bytes on the host; the TPM's state deleted, the
// boot asks for the recovery key, and the key setup gave opens it.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisioningDisk } from './image.js';
import { Guest } from './qemu.js';
import { adminShell, encDir, encTestsSkipped, SoftTpm, waitForData } from './tpm.js';

describe.skipIf(encTestsSkipped)('an encrypted data partition in a booted box', () => {
  const guest = new Guest();
  const { key, login, asRoot } = adminShell(guest);
  const tpm = new SoftTpm(guest.dir);
  const figures: string[] = [];
  let recoveryKey = '';
  let marker = '';
  const options = () => ({
    uefi: true,
    imageDir: encDir,
    reboot: true,
    memoryMiB: 1536,
    disks: [path.join(guest.dir, 'blueprint.img')],
  });

  beforeAll(async () => {
    tpm.attachToQemu();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@enc', '-f', key]);
    provisioningDisk(guest.dir, {
      hostname: 'bp-enc',
      admin: { name: 'admin', keys: [readFileSync(`${key}.pub`, 'utf8').trim()] },
      ssh: { enabled: true },
      encryption: { mode: 'tpm', recoveryKeyFile: '/var/lib/blueprint/recovery-key.txt' },
    } as Parameters<typeof provisioningDisk>[1]);
    await tpm.start();
  }, 600_000);
  afterAll(async () => {
    if (figures.length) console.info(`encryption figures:\n  ${figures.join('\n  ')}`);
    await guest.stop();
    await tpm.stop();
  });

  it('first boot encrypts and seals, copies /data on, reboots, and unlocks with no prompt', {
    timeout: 3_000_000,
  }, async () => {
    const t0 = Date.now();
    await guest.start(options());
    // The console is quiet (no kernel banner): the box is asked over SSH what /data is. First in
    // memory (the partition blank), then, after setup and the copy and a reboot, the mapping.
    await guest.waitForSsh('admin', login, 300);
    const inMemory = await waitForData(guest, asRoot, (s) => s === '/dev/mapper/data', 2_400_000);
    expect(inMemory).toBe(true);
    figures.push(
      `first boot to the encrypted, TPM-unlocked /data: ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    // Neither boot asked anyone: the TPM unsealed the key.
    expect(guest.console).not.toMatch(/type the data partition's recovery key/);
    expect((await asRoot('findmnt -no SOURCE /data')).stdout.trim()).toBe('/dev/mapper/data');
    const st = JSON.parse((await asRoot('blueprint --json status')).stdout) as {
      encryption: Record<string, unknown>;
    };
    expect(st.encryption).toMatchObject({ encrypted: true, unlockedBy: 'tpm', recoveryKeyEnrolled: true });
    // The boot that unlocked by the TPM, measured as encryption-none.test.ts measures the plain one.
    await asRoot('systemctl is-system-running --wait; true');
    figures.push(
      `later boot, TPM-unlocked: ${(await asRoot('systemd-analyze')).stdout.trim().split('\n')[0]}`,
    );
    expect((await asRoot('blkid -p -o value -s LABEL /dev/disk/by-partlabel/data')).stdout.trim()).toBe(
      'data',
    );
    recoveryKey = (await asRoot('cat /var/lib/blueprint/recovery-key.txt')).stdout.trim();
    expect(recoveryKey).toMatch(/^([cbdefghijklnrtuv]{8}-){7}[cbdefghijklnrtuv]{8}$/);
    // Made in the guest, so it is in no command line the host could have logged.
    const w = await asRoot(
      'head -c 24 /dev/urandom | base64 | tr -d "/+=" | sed "s/^/bp-marker-/" > /home/admin/marker; sync; cat /home/admin/marker',
    );
    marker = w.stdout.trim();
    expect(marker).toMatch(/^bp-marker-\w{20,}$/);
    // It reached the disk: readable through the mapping.
    expect((await asRoot(`grep -c -a "${marker}" /dev/mapper/data || true`)).stdout.trim()).not.toBe('0');
  });

  it('the disk on the host holds no plaintext of the marker', { timeout: 900_000 }, async () => {
    expect(marker).not.toBe('');
    await asRoot('systemctl poweroff').catch(() => undefined);
    await guest.kill();
    const raw = path.join(guest.dir, 'disk.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', path.join(guest.dir, 'root.qcow2'), raw]);
    const found = execFileSync('sh', ['-c', `grep -c -a -F "${marker}" "${raw}" || true`], {
      encoding: 'utf8',
    });
    rmSync(raw);
    expect(found.trim()).toBe('0');
  });

  it('with the TPM state deleted, the boot asks for the recovery key and it opens the volume', {
    timeout: 1_800_000,
  }, async () => {
    expect(recoveryKey).not.toBe('');
    await tpm.wipe();
    const mark = guest.console.length;
    await guest.start({ ...options(), resume: true });
    const asked = await guest.waitFor(/type the data partition's recovery key/, 900_000, mark);
    // cryptsetup prompts and flushes what was typed before (TCSAFLUSH): type after its own
    // prompt, and a moment later.
    const at = await guest.waitFor(/Enter passphrase for/, 300_000, asked);
    // Above the prompt: systemd's reason (the script's own log_warning_msg is silent under the
    // image's `quiet`), none of tpm2-tss's own log lines (TSS2_LOG=all+NONE) and no second TPM
    // try by cryptsetup's token plugin.
    const above = guest.console.slice(mark, at);
    expect(above).toMatch(/falling back to traditional unlocking/);
    expect(above).not.toMatch(/(ERROR|WARNING):(esys|tcti|sys|mu)[:\s]/);
    await new Promise((r) => setTimeout(r, 3000));
    await guest.type(`${recoveryKey}\n`);
    await guest.waitForSsh('admin', login, 200);
    expect(guest.console.slice(at)).not.toMatch(/not unlocked: booting without it/);
    expect((await asRoot('cat /home/admin/marker')).stdout.trim()).toBe(marker);
    expect((await asRoot('findmnt -no SOURCE /data')).stdout.trim()).toBe('/dev/mapper/data');
  });
});
