import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';
import { imageDir } from './image.js';

/** Strips terminal escape sequences so screens drawn by a TUI can be matched as text. */
export function plain(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[\]P^_][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\x1b[=>78cDEHM]/g, '')
    .replace(/\r/g, '');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface GuestOptions {
  /** Extra disks (raw files), e.g. a BLUEPRINT provisioning disk. */
  disks?: string[];
  memoryMiB?: number;
  /** Boot disk.qcow2 (GPT, ESP with systemd-boot) under OVMF instead of the kernel directly. */
  uefi?: boolean;
  /** No network out of the guest at all (qemu's `restrict=on`): only the forwarded SSH port. */
  restrict?: boolean;
  /** Another built image than `imageDir` (e.g. build/image-ab). */
  imageDir?: string;
  /** The guest may reboot (qemu restarts it on the same disk) instead of qemu exiting. */
  reboot?: boolean;
  /**
   * arm64 (issue 22): qemu-system-aarch64's `virt` machine under TCG, booting disk.qcow2 through
   * AAVMF (Debian's qemu-efi-aarch64) and systemd-boot; the serial console is its PL011, ttyAMA0.
   */
  arch?: 'x86_64' | 'aarch64';
  /** Start again on the disk and firmware variables of the last run (after `kill`: a power cut). */
  resume?: boolean;
}

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const AAVMF_CODE = '/usr/share/AAVMF/AAVMF_CODE.fd';
const AAVMF_VARS = '/usr/share/AAVMF/AAVMF_VARS.fd';

/**
 * The image booted under qemu (TCG: no KVM here) from a copy-on-write overlay, so the built
 * root.img stays pristine. The serial console is a unix socket the test reads and types into;
 * the guest's port 22 is forwarded to a free port on 127.0.0.1 only.
 */
export class Guest {
  readonly dir = tempDir('blueprint-image-boot-');
  readonly sshPort: Promise<number> = freePort();
  private qemu?: ChildProcess;
  private socket?: net.Socket;
  private raw = '';
  private qemuLog = '';

  async start(options: GuestOptions = {}): Promise<void> {
    const overlay = path.join(this.dir, 'root.qcow2');
    const arm = options.arch === 'aarch64';
    const uefi = options.uefi || arm;
    const [base, baseFormat] = uefi ? ['disk.qcow2', 'qcow2'] : ['root.img', 'raw'];
    if (!options.resume)
      execFileSync('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        baseFormat,
        '-b',
        path.join(options.imageDir ?? imageDir, base),
        overlay,
      ]);
    const boot = uefi
      ? (() => {
          const vars = path.join(this.dir, 'OVMF_VARS.fd');
          if (!options.resume) copyFileSync(arm ? AAVMF_VARS : OVMF_VARS, vars);
          return [
            ...(arm ? ['-machine', 'virt', '-cpu', 'cortex-a72'] : []),
            '-drive',
            `if=pflash,format=raw,readonly=on,file=${arm ? AAVMF_CODE : OVMF_CODE}`,
            '-drive',
            `if=pflash,format=raw,file=${vars}`,
          ];
        })()
      : [
          '-kernel',
          path.join(imageDir, 'vmlinuz'),
          '-initrd',
          path.join(imageDir, 'initrd.img'),
          '-append',
          readFileSync(path.join(imageDir, 'cmdline'), 'utf8').trim(),
        ];
    const serial = path.join(this.dir, 'serial.sock');
    rmSync(serial, { force: true });
    const args = [
      '-m',
      String(options.memoryMiB ?? 1024),
      '-smp',
      '2',
      '-accel',
      'tcg',
      '-display',
      'none',
      ...(options.reboot ? [] : ['-no-reboot']),
      '-monitor',
      'none',
      ...boot,
      '-drive',
      `file=${overlay},format=qcow2,if=virtio`,
      ...(options.disks ?? []).flatMap((d) => ['-drive', `file=${d},format=raw,if=virtio,readonly=on`]),
      '-nic',
      `user,model=virtio-net-pci,${options.restrict ? 'restrict=on,' : ''}hostfwd=tcp:127.0.0.1:${await this.sshPort}-:22`,
      '-chardev',
      `socket,id=s0,path=${serial},server=on,wait=off,logfile=${path.join(this.dir, 'serial.log')}`,
      '-serial',
      'chardev:s0',
    ];
    this.qemu = spawn(arm ? 'qemu-system-aarch64' : 'qemu-system-x86_64', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.qemu.stdout?.on('data', (d) => (this.qemuLog += d));
    this.qemu.stderr?.on('data', (d) => (this.qemuLog += d));
    const exited = new Promise<never>((_, reject) =>
      this.qemu?.once('exit', (code) => reject(new Error(`qemu exited (${code}): ${this.qemuLog}`))),
    );
    exited.catch(() => {});
    for (let i = 0; !existsSync(serial); i++) {
      if (this.qemu.exitCode !== null || i > 100) throw new Error(`qemu did not start: ${this.qemuLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.socket = net.createConnection(serial);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => (this.raw += d));
    await new Promise((resolve, reject) => this.socket?.once('connect', resolve).once('error', reject));
  }

  /** Everything the serial console showed so far, escape sequences removed. */
  get console(): string {
    return plain(this.raw);
  }

  /** Waits until the serial console shows `pattern` after position `from`; returns the match's end. */
  async waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.console.slice(from);
      const match = pattern.exec(text);
      if (match) return from + match.index + match[0].length;
      // A qemu killed by a signal (an abort, the OOM killer) has no exit code, only a signal.
      if (this.qemu && (this.qemu.exitCode !== null || this.qemu.signalCode !== null))
        throw new Error(
          `qemu exited (${this.qemu.exitCode ?? this.qemu.signalCode}); console:\n${this.tail()}`,
        );
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern} on the serial console; last lines:\n${this.tail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Types on the serial console, a few bytes at a time as a person (or a slow UART) would. */
  async type(text: string): Promise<void> {
    for (const chunk of text.match(/[\s\S]{1,16}/g) ?? []) {
      this.socket?.write(chunk);
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  tail(lines = 40): string {
    return this.console.split('\n').slice(-lines).join('\n');
  }

  /**
   * Runs a command as `user` over SSH; resolves with its output and exit status. `input` is
   * written to its stdin (e.g. a tar stream); `timeoutMs` bounds the whole command.
   */
  async ssh(
    user: string,
    args: string[],
    sshOptions: string[] = [],
    options: { input?: Buffer; timeoutMs?: number } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const base = [
      '-p',
      String(await this.sshPort),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=20',
      '-o',
      'LogLevel=ERROR',
    ];
    const child = spawn('ssh', [...base, ...sshOptions, `${user}@127.0.0.1`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // ssh may exit before reading all of it
    child.stdin.end(options.input ?? '');
    const code = await new Promise<number>((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('close', (c) => resolve(c ?? -1));
    });
    return { code, stdout, stderr };
  }

  /** Polls until `user` can log in with the SSH options given (setup may still be running). */
  async waitForSsh(user: string, sshOptions: string[], tries = 60): Promise<void> {
    let last = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < tries; i++) {
      last = await this.ssh(user, ['true'], sshOptions);
      if (last.code === 0) return;
      await new Promise((r) => setTimeout(r, 3000));
    }
    throw new Error(`no SSH login as ${user}: ${last.stderr}\nconsole:\n${this.tail()}`);
  }

  /** Pulls the plug: qemu killed (SIGKILL), the disk kept as it was for `start({ resume: true })`. */
  async kill(): Promise<void> {
    this.socket?.destroy();
    if (this.qemu && this.qemu.exitCode === null && this.qemu.signalCode === null) {
      const gone = new Promise((r) => this.qemu?.once('exit', r));
      this.qemu.kill('SIGKILL');
      await gone;
    }
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    if (this.qemu && this.qemu.exitCode === null) {
      const gone = new Promise((r) => this.qemu?.once('exit', r));
      this.qemu.kill('SIGTERM');
      await gone;
    }
    dropTempDir(this.dir); // the overlay disk now, not after the file (BLUEPRINT_KEEP_TEMP=1 keeps it)
  }
}
