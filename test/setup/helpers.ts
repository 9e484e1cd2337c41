import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type ApplianceSpec, specSchema } from '../../src/core/setup/index.js';
import { dropTempDir, tempDir } from './temp-registry.js';

/** A fresh OpenSSH ed25519 public key line, built from a key made by Node's crypto. */
export function sshPublicKey(comment = 'test@blueprint'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const part = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([part(Buffer.from('ssh-ed25519')), part(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/**
 * A fresh root; `cleanup` removes it at once (roots made per test add up). A root that cannot go
 * yet is left to the registry's after-file clean-up, which says so, rather than failing the test.
 */
export async function tempRoot(tag: string): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = tempDir(`bp-tui-${tag}-`);
  return { root, cleanup: async () => dropTempDir(root) };
}

/**
 * The SHA-512-crypt hash of a console password, made once by `openssl passwd -6` (the password on
 * stdin): answers with SSH off need one (QA18).
 */
export const consolePasswordHash = (() => {
  let hash: string | undefined;
  return () => {
    hash ??= execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: 'Correct-Horse-9\n' })
      .toString()
      .trim();
    return hash;
  };
})();

export const hasSshd = existsSync('/usr/sbin/sshd');
export const hasNft = existsSync('/usr/sbin/nft');

/** What `ssh-keygen -lf` says the fingerprint of a key line is. */
export function sshKeygenFingerprint(line: string, dir: string): string {
  const file = path.join(dir, 'k.pub');
  execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', line, file]);
  return execFileSync('ssh-keygen', ['-lf', file]).toString().split(' ')[1]!;
}

/** sshd refuses to start without its privilege-separation directory (systemd makes it at boot). */
export function ensureSshdPrivsep(): void {
  execFileSync('mkdir', ['-p', '-m', '0755', '/run/sshd']);
}

/** Runs a shell script in `dir` as another user (`setpriv`: that uid and gid, no groups, no root). */
export function shellAs(who: { uid: number; gid: number }, dir: string, script: string): void {
  execFileSync('setpriv', [
    `--reuid=${who.uid}`,
    `--regid=${who.gid}`,
    '--clear-groups',
    '--',
    'sh',
    '-euc',
    `cd "$1"; ${script}`,
    'sh',
    dir,
  ]);
}

let opsKey: string | undefined;

/**
 * An appliance spec of box-01 with SSH on and one admin (`admin`, one key made once for the calling
 * file), `over`'s sections replacing or adding to those: the egress tests' box.
 */
export function sshAdminSpec(over: Record<string, unknown> = {}): ApplianceSpec {
  opsKey ??= sshPublicKey('ops@laptop');
  return specSchema.parse({
    hostname: 'box-01',
    users: [{ name: 'admin', keys: [opsKey] }],
    ssh: { enabled: true },
    ...over,
  });
}
