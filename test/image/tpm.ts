// A software TPM 2.0 for the image tests of the encrypted data partition (issue 23): Debian's
// swtpm on a unix socket, its state in a folder (deleted: a new, empty TPM), and qemu given the
// TPM by a wrapper first on PATH, so that Guest (qemu.ts) needs to know nothing about TPMs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Guest } from './qemu.js';

const repo = new URL('../..', import.meta.url).pathname;

/** The encrypted-data disk the encryption tests boot: BLUEPRINT_ENC_IMAGE_DIR, else build/image-enc. */
export const encDir = path.resolve(process.env.BLUEPRINT_ENC_IMAGE_DIR ?? path.join(repo, 'build/image-enc'));

/** Boots under TCG take many minutes: the tests run on purpose (BLUEPRINT_ENC_TEST=1) on a built disk. */
export const encTestsSkipped =
  !process.env.BLUEPRINT_ENC_TEST || !existsSync(path.join(encDir, 'disk.qcow2'));

/** The admin's SSH key that setup's answers install in the guest, and root commands through it. */
export function adminShell(guest: Guest, timeoutMs = 600_000) {
  const key = path.join(guest.dir, 'admin_ed25519');
  const login = ['-i', key, '-o', 'IdentitiesOnly=yes'];
  const asRoot = (command: string) =>
    guest.ssh('admin', [`sudo -n sh -c '${command}'`], login, { timeoutMs });
  return { key, login, asRoot };
}

export class SoftTpm {
  private swtpm?: ChildProcess;
  readonly dir: string;
  private readonly sock: string;

  constructor(guestDir: string) {
    this.dir = path.join(guestDir, 'tpm');
    this.sock = path.join(this.dir, 'swtpm.sock');
  }

  /** qemu-system-x86_64 on PATH, from now on, is the real one with a tpm-tis device on swtpm. */
  attachToQemu(): void {
    const bin = path.join(this.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' }).trim();
    writeFileSync(
      path.join(bin, 'qemu-system-x86_64'),
      `#!/bin/sh\nexec ${real} "$@" -chardev socket,id=chrtpm,path=${this.sock} -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${process.env.PATH}`;
  }

  async start(): Promise<void> {
    mkdirSync(path.join(this.dir, 'state'), { recursive: true });
    rmSync(this.sock, { force: true });
    this.swtpm = spawn('swtpm', [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${path.join(this.dir, 'state')}`,
      '--ctrl',
      `type=unixio,path=${this.sock}`,
    ]);
    for (let i = 0; !existsSync(this.sock); i++) {
      if (i > 100) throw new Error('swtpm did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    const tpm = this.swtpm;
    if (tpm && tpm.exitCode === null) {
      const gone = new Promise((r) => tpm.once('exit', r));
      tpm.kill('SIGTERM');
      await gone;
    }
  }

  /** The TPM cleared (its state deleted): what it sealed can no longer be unsealed. */
  async wipe(): Promise<void> {
    await this.stop();
    rmSync(path.join(this.dir, 'state'), { recursive: true, force: true });
    await this.start();
  }
}

/** The guest's SHA-256 PCRs 0–15 as Linux shows them (sysfs, kernel 5.12+), index → hex. */
export async function readPcrs(
  asRoot: (command: string) => ReturnType<Guest['ssh']>,
): Promise<Record<number, string>> {
  const r = await asRoot('for i in $(seq 0 15); do echo "$i $(cat /sys/class/tpm/tpm0/pcr-sha256/$i)"; done');
  if (r.code !== 0) throw new Error(`PCRs not readable: ${r.stderr}`);
  const pcrs: Record<number, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [i, v] = line.split(' ');
    if (v && /^[0-9A-Fa-f]{64}$/.test(v)) pcrs[Number(i)] = v.toLowerCase();
  }
  return pcrs;
}

/**
 * Polls `findmnt /data` over SSH until its source passes `done` (e.g. the LUKS mapping: the first
 * boot's encryption, copy and reboot done); returns whether the first boot's in-memory /data was seen.
 */
export async function waitForData(
  guest: Guest,
  asRoot: (command: string) => ReturnType<Guest['ssh']>,
  done: (source: string) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  let inMemory = false;
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const r = await asRoot('findmnt -no SOURCE /data').catch(() => undefined);
    const source = r?.code === 0 ? r.stdout.trim() : '';
    if (source === 'data') inMemory = true; // the tmpfs of the first boot
    if (source && source !== 'data' && done(source)) return inMemory;
    if (Date.now() > deadline) throw new Error(`/data never came from its partition:\n${guest.tail()}`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}
