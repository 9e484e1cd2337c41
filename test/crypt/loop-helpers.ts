import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { EncryptionChoice, EncryptionOutcome } from '../../src/app/index.js';
import { encryptDevice } from '../../src/core/crypt/index.js';

/** Root, the real tools (scripts/setup-host.sh installs cryptsetup-bin) and loop devices. */
export const canLoop =
  process.getuid?.() === 0 &&
  ['/usr/sbin/cryptsetup', '/usr/bin/systemd-cryptenroll', '/usr/sbin/losetup'].every((p) => existsSync(p)) &&
  existsSync('/dev/loop-control');

/** A 40 MiB loop device over a file in `dir`; `detach` in an afterEach/afterAll. */
export async function loopDevice(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, '');
  execFileSync('truncate', ['-s', '40M', file]);
  return execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
}
export const detach = (dev: string) => execFileSync('losetup', ['-d', dev]);

/** The loop devices a test pushes here are detached after it. Call at a test file's top. */
export function detachedAfterEach(): string[] {
  const loops: string[] = [];
  afterEach(() => {
    for (const d of loops.splice(0)) detach(d);
  });
  return loops;
}

/**
 * The setup wizard's encrypt, real, on loop device `dev`: encryptDevice with the passphrase chosen
 * (a fast KDF), writing `crypttab`; its outcome as the app's encryptData gives it.
 */
export async function encryptChosen(
  dev: string,
  crypttab: string,
  choice: EncryptionChoice,
): Promise<EncryptionOutcome> {
  const r = await encryptDevice({
    device: dev,
    name: 'data',
    mode: 'passphrase',
    passphrase: choice.passphrase!,
    crypttab,
    fastKdf: true,
  });
  return { mode: choice.mode, device: dev, recoveryKey: r.recoveryKey };
}

/**
 * Whether `secret` opens the LUKS volume: `cryptsetup open --test-passphrase` decrypts the key
 * slot and checks the volume key's digest, what open does before it maps (this host's kernel has
 * no device mapper to map with).
 */
export function opens(device: string, secret: string): boolean {
  try {
    execFileSync('cryptsetup', ['open', '--test-passphrase', '--key-file', '-', device], {
      input: secret,
      stdio: 'pipe',
    });
    return true;
  } catch {
    return false;
  }
}
