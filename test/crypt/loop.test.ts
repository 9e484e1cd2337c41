import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encryptableDevice,
  encryptDevice,
  parseLuksDump,
  RECOVERY_KEY,
  readEncryptionState,
  systemTools,
  UNFINISHED_LABEL,
} from '../../src/core/crypt/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { canLoop, detach, loopDevice, opens } from './loop-helpers.js';

const label = (dev: string) =>
  execFileSync('blkid', ['-p', '-o', 'value', '-s', 'LABEL', dev], { encoding: 'utf8' }).trim();

/**
 * The real tools on a loop device: cryptsetup 2.6 and systemd 252's systemd-cryptenroll
 * (scripts/setup-host.sh installs cryptsetup-bin). This host's kernel has no device mapper, so a
 * key is proven by `cryptsetup open --test-passphrase` (it decrypts the key slot and checks the
 * volume key's digest, which is what open does before it maps). It has no TPM driver either:
 * the TPM enrolment is the qemu + swtpm image test's (docs/encryption.md).
 */
/** encryptDevice of `dev` as `data` with `passphrase` (a fast KDF), its line in `crypttab`. */
const withPassphrase = (dev: string, passphrase: string, crypttab: string) =>
  encryptDevice({ device: dev, name: 'data', mode: 'passphrase', passphrase, crypttab, fastKdf: true });

describe.skipIf(!canLoop)('encrypting a blank partition on a loop device', () => {
  let dir: string;
  const loops: string[] = [];
  const loop = async (name: string) => {
    const dev = await loopDevice(dir, name);
    loops.push(dev);
    return dev;
  };
  beforeAll(() => {
    dir = tempDir('bp-crypt-');
  });
  afterAll(() => {
    for (const d of loops) detach(d);
  });

  it('passphrase mode: recovery key and passphrase open it, the random key is gone, crypttab names it', async () => {
    const dev = await loop('a.img');
    expect(await encryptableDevice(dev)).toBe(dev);
    const crypttab = path.join(dir, 'root/etc/crypttab');
    const r = await withPassphrase(dev, 'correct horse', crypttab);
    expect(r.recoveryKey).toMatch(RECOVERY_KEY);
    expect(opens(dev, r.recoveryKey)).toBe(true);
    expect(opens(dev, 'correct horse')).toBe(true);
    expect(opens(dev, 'wrong horse')).toBe(false);
    const info = parseLuksDump(
      execFileSync('cryptsetup', ['luksDump', '--dump-json-metadata', dev], { encoding: 'utf8' }),
    )!;
    // Slot 0 held the random key: wiped. Left: the recovery key's slot and the passphrase's.
    expect(info).toMatchObject({ recoveryKeyEnrolled: true, tpm2Enrolled: false });
    expect(info.plainSlots).toHaveLength(1);
    expect(info.plainSlots).not.toContain(0);
    expect(await readFile(crypttab, 'utf8')).toBe(`data UUID=${r.uuid} none luks,discard\n`);
    // Labelled unfinished until the image's first boot has copied its data on (image/crypt/data-persist).
    expect(label(dev)).toBe(UNFINISHED_LABEL);
    // This boot's crypttab names it: encrypted already. A later boot whose crypttab was lost with
    // the first boot's memory (cut short before the copy) may encrypt it again.
    expect(await encryptableDevice(dev, systemTools, crypttab)).toBeUndefined();
    expect(await encryptableDevice(dev, systemTools, path.join(dir, 'no-crypttab'))).toBe(dev);
    // The copy done, the label says so, and no first boot touches it again.
    execFileSync('cryptsetup', ['config', '--label', 'data', dev]);
    expect(await encryptableDevice(dev, systemTools, path.join(dir, 'no-crypttab'))).toBeUndefined();

    const state = await readEncryptionState({ root: path.join(dir, 'root'), device: dev });
    expect(state).toMatchObject({
      encrypted: true,
      unlockedBy: 'passphrase',
      recoveryKeyEnrolled: true,
      tpmPresent: false,
      pcrs: [],
    });

    // A second run refuses: it is encrypted and in crypttab.
    await expect(withPassphrase(dev, 'x', crypttab)).rejects.toMatchObject({ code: 'already-encrypted' });
  });

  it('refuses a partition that holds a file system', async () => {
    const dev = await loop('b.img');
    execFileSync('mkfs.ext4', ['-q', dev]);
    expect(await encryptableDevice(dev)).toBeUndefined();
    await expect(withPassphrase(dev, 'x', path.join(dir, 'b-crypttab'))).rejects.toMatchObject({
      code: 'not-blank',
    });
    expect(existsSync(path.join(dir, 'b-crypttab'))).toBe(false);
  });

  it('a plain file system a first boot left unfinished (mode none) may be encrypted; one labelled data not', async () => {
    const dev = await loop('d.img');
    execFileSync('mkfs.ext4', ['-q', '-L', UNFINISHED_LABEL, dev]);
    expect(await encryptableDevice(dev)).toBe(dev);
    const r = await withPassphrase(dev, 'correct horse', path.join(dir, 'd-crypttab'));
    expect(opens(dev, r.recoveryKey)).toBe(true);
    const done = await loop('e.img');
    execFileSync('mkfs.ext4', ['-q', '-L', 'data', done]);
    expect(await encryptableDevice(done)).toBeUndefined();
  });

  it('tpm mode without a TPM fails before crypttab is written; the unfinished volume is formatted again', async () => {
    const dev = await loop('c.img');
    const crypttab = path.join(dir, 'c-crypttab');
    const state = await readEncryptionState({ root: path.join(dir, 'none'), device: dev });
    expect(state).toMatchObject({ encrypted: false, unlockedBy: 'none', tpmPresent: false });
    if (state.tpmPresent) return; // a host with a TPM: the image test covers this path
    await expect(
      encryptDevice({ device: dev, name: 'data', mode: 'tpm', crypttab, fastKdf: true }),
    ).rejects.toMatchObject({
      code: 'encryption-failed',
    });
    expect(existsSync(crypttab)).toBe(false);
    // LUKS, but no crypttab line: never given data, so the next first boot may start over.
    const r = await withPassphrase(dev, 'p', crypttab);
    expect(opens(dev, r.recoveryKey)).toBe(true);
  });

  it('the real tool runner passes secrets by stdin', async () => {
    const r = await systemTools.run(['cat'], { input: 'secret' });
    expect(r).toEqual({ stdout: 'secret', stderr: '', code: 0 });
  });
});
