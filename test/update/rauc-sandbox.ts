/**
 * A real RAUC 1.8 service on a private D-Bus system bus, over two file-backed root slots and a
 * folder standing in for the ESP, driven by the image's own bootloader backend
 * (image/rauc/bootloader-backend) and bundles made by image/rauc/make-bundle. Needs root (RAUC
 * mounts bundles on loop devices), rauc, dbus-daemon, mksquashfs, openssl and e2fsprogs.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildRepository } from '../../src/app/publish.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { execRauc } from '../../src/core/update/index.js';
import { runCliHere } from '../helpers/cli-here.js';
import { makeKey } from '../helpers/pkg.js';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';

const repo = new URL('../..', import.meta.url).pathname;
export const backend = path.join(repo, 'image/rauc/bootloader-backend');
const makeBundle = path.join(repo, 'image/rauc/make-bundle');

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why the real-RAUC tests cannot run here, or undefined when they can. */
export function raucMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const c of ['rauc', 'dbus-daemon', 'mksquashfs', 'openssl', 'mkfs.ext4', 'debugfs', 'losetup'])
    if (!has(c)) return `${c} missing (scripts/setup-image-host.sh installs it)`;
  if (spawnSync('losetup', ['-f']).status !== 0) return 'no free loop device';
  return undefined;
}

const sh = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }).toString();

export class RaucSandbox {
  // Registered: a suite that is skipped still constructs its sandbox, and never stops it.
  readonly dir = tempDir('blueprint-rauc-');
  /** The box's root as `--root`: etc/rauc/system.conf, usr/lib/blueprint/system-version. */
  readonly root = path.join(this.dir, 'root');
  readonly esp = path.join(this.dir, 'esp');
  readonly slots = { A: path.join(this.dir, 'slot-a.img'), B: path.join(this.dir, 'slot-b.img') };
  readonly bus = path.join(this.dir, 'bus.sock');
  readonly env: NodeJS.ProcessEnv;
  private busProc?: ChildProcess;
  private service?: ChildProcess;
  serviceLog = '';
  booted: 'A' | 'B' = 'A';

  constructor() {
    this.env = {
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${this.bus}`,
      BLUEPRINT_ESP: this.esp,
      BLUEPRINT_SLOT_A: this.slots.A,
      BLUEPRINT_SLOT_B: this.slots.B,
    };
  }

  /** `ca` signs bundles the box trusts; `other` is a CA the box does not know. */
  private ca(name: string): { cert: string; key: string } {
    const d = path.join(this.dir, name);
    mkdirSync(d, { recursive: true });
    const ca = ['-keyout', `${d}/ca.key`, '-out', `${d}/ca.pem`];
    sh('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      ...ca,
      '-subj',
      `/CN=${name} CA`,
      '-days',
      '2',
    ]);
    sh('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${d}/signer.key`,
      '-out',
      `${d}/signer.csr`,
      '-subj',
      `/CN=${name} signer`,
    ]);
    sh('openssl', [
      'x509',
      '-req',
      '-in',
      `${d}/signer.csr`,
      '-CA',
      `${d}/ca.pem`,
      '-CAkey',
      `${d}/ca.key`,
      '-CAcreateserial',
      '-out',
      `${d}/signer.pem`,
      '-days',
      '2',
    ]);
    return { cert: `${d}/signer.pem`, key: `${d}/signer.key` };
  }

  signer!: { cert: string; key: string };
  stranger!: { cert: string; key: string };

  /** A root filesystem image of `version`: a kernel and initrd in /boot, the version file, noise. */
  rootfs(version: string): string {
    const content = path.join(this.dir, `rootfs-${version}`);
    mkdirSync(path.join(content, 'boot'), { recursive: true });
    mkdirSync(path.join(content, 'usr/lib/blueprint/rauc'), { recursive: true });
    writeFileSync(path.join(content, 'boot/vmlinuz-6.1.0-test'), `kernel ${version}\n`);
    writeFileSync(path.join(content, 'boot/initrd.img-6.1.0-test'), `initrd ${version}\n`);
    writeFileSync(path.join(content, 'usr/lib/blueprint/system-version'), `${version}\n`);
    writeFileSync(path.join(content, 'usr/lib/blueprint/rauc/cmdline'), `ro quiet v=${version}\n`);
    // squashfs must hold more than one block: incompressible bytes.
    writeFileSync(path.join(content, 'noise'), randomBytes(65536));
    const img = path.join(this.dir, `rootfs-${version}.ext4`);
    sh('mkfs.ext4', ['-q', '-F', '-d', content, img, '16M']);
    return img;
  }

  bundle(version: string, signer = this.signer): string {
    const out = path.join(this.dir, `blueprintos-${version}.raucb`);
    sh(makeBundle, [this.rootfs(version), version, signer.cert, signer.key, out]);
    return out;
  }

  async start(): Promise<void> {
    this.signer = this.ca('trusted');
    this.stranger = this.ca('stranger');
    mkdirSync(path.join(this.root, 'etc/rauc'), { recursive: true });
    mkdirSync(path.join(this.root, 'usr/lib/blueprint'), { recursive: true });
    mkdirSync(path.join(this.dir, 'data'));
    mkdirSync(path.join(this.dir, 'mnt'));
    // The factory image in slot A, the version the build wrote; slot B empty.
    sh('cp', [this.rootfs('1.0.0'), this.slots.A]);
    sh('truncate', ['-s', '16M', this.slots.B]);
    writeFileSync(path.join(this.root, 'usr/lib/blueprint/system-version'), '1.0.0\n');
    const wrapper = path.join(this.dir, 'backend');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexport BLUEPRINT_ESP=${this.esp} BLUEPRINT_SLOT_A=${this.slots.A} BLUEPRINT_SLOT_B=${this.slots.B}\nexec ${backend} "$@"\n`,
      { mode: 0o755 },
    );
    writeFileSync(
      path.join(this.root, 'etc/rauc/system.conf'),
      `[system]\ncompatible=blueprintos-x86_64\nbootloader=custom\nbundle-formats=plain\ndata-directory=${this.dir}/data\n\n` +
        `[keyring]\npath=${path.join(this.dir, 'trusted/ca.pem')}\n\n[handlers]\nbootloader-custom-backend=${wrapper}\n\n` +
        `[slot.rootfs.0]\ndevice=${this.slots.A}\ntype=ext4\nbootname=A\n\n[slot.rootfs.1]\ndevice=${this.slots.B}\ntype=ext4\nbootname=B\n`,
    );
    // The image build's first entry: slot A, blessed.
    sh(backend, ['set-primary', 'A'], this.env);
    sh(backend, ['set-state', 'A', 'good'], this.env);
    writeFileSync(
      path.join(this.dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${this.bus}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="root"/><allow own="de.pengutronix.rauc"/><allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>\n`,
    );
    this.busProc = spawn('dbus-daemon', ['--config-file', path.join(this.dir, 'bus.conf'), '--nofork'], {
      stdio: 'ignore',
    });
    for (let i = 0; !existsSync(this.bus); i++) {
      if (i > 100) throw new Error('dbus-daemon did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.startService();
  }

  private async startService(): Promise<void> {
    this.service = spawn(
      'rauc',
      [
        `--conf=${path.join(this.root, 'etc/rauc/system.conf')}`,
        `--mount=${this.dir}/mnt`,
        'service',
        `--override-boot-slot=${this.booted}`,
      ],
      { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.service.stdout?.on('data', (d) => (this.serviceLog += d));
    this.service.stderr?.on('data', (d) => (this.serviceLog += d));
    const rauc = this.rauc();
    for (let i = 0; ; i++) {
      const r = await rauc.run(['status', '--output-format=json']);
      if (r.code === 0) return;
      if (i > 100) throw new Error(`rauc service did not answer: ${r.stderr}\n${this.serviceLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async stopService(): Promise<void> {
    if (this.service && this.service.exitCode === null) {
      const gone = new Promise((r) => this.service?.once('exit', r));
      this.service.kill('SIGTERM');
      await gone;
    }
  }

  /** The runner the box uses, pointed at this sandbox's bus and system.conf. */
  rauc() {
    return execRauc({
      conf: path.join(this.root, 'etc/rauc/system.conf'),
      env: { ...process.env, ...this.env },
    });
  }

  entries(): string[] {
    return readdirSync(path.join(this.esp, 'loader/entries')).sort();
  }

  /**
   * A reboot as systemd-boot does it: the first entry in its order (no tries left sorts last, then
   * sort-key), a counted entry's tries taken down by one (renamed) before it boots. Then the slot's
   * version file becomes the running one, and RAUC starts again on that slot.
   */
  async reboot(): Promise<'A' | 'B'> {
    await this.stopService();
    const parsed = this.entries().map((name) => {
      const m = /^blueprint-([ab])(?:\+(\d+)(?:-(\d+))?)?\.conf$/.exec(name);
      if (!m) throw new Error(`unexpected loader entry ${name}`);
      const text = execFileSync('cat', [path.join(this.esp, 'loader/entries', name)]).toString();
      const key = /^sort-key\s+(\S+)/m.exec(text)?.[1] ?? '';
      return {
        name,
        slot: m[1]!,
        left: m[2] === undefined ? undefined : Number(m[2]),
        done: Number(m[3] ?? 0),
        key,
      };
    });
    parsed.sort((x, y) => Number(x.left === 0) - Number(y.left === 0) || x.key.localeCompare(y.key));
    const pick = parsed[0]!;
    if (pick.left !== undefined && pick.left > 0) {
      const dir = path.join(this.esp, 'loader/entries');
      renameSync(
        path.join(dir, pick.name),
        path.join(dir, `blueprint-${pick.slot}+${pick.left - 1}-${pick.done + 1}.conf`),
      );
    }
    this.booted = pick.slot.toUpperCase() as 'A' | 'B';
    const version = sh('debugfs', ['-R', 'cat /usr/lib/blueprint/system-version', this.slots[this.booted]]);
    writeFileSync(path.join(this.root, 'usr/lib/blueprint/system-version'), version);
    await this.startService();
    return this.booted;
  }

  async stop(): Promise<void> {
    await this.stopService();
    this.busProc?.kill('SIGTERM');
    dropTempDir(this.dir); // its slot images now, not after the file (BLUEPRINT_KEEP_TEMP=1 keeps them)
  }
}

/**
 * A repository `updates` under `work` offering the system-bundle of `version`, signed by a key of
 * its own, which the box trusts for it; the box's package lists are updated.
 */
export async function updatesRepository(box: RaucSandbox, work: string, version = '3.0.0'): Promise<void> {
  const key = await makeKey(path.join(work, 'key'), { name: 'System updates' });
  const repoDir = path.join(work, 'repo');
  await buildRepository({
    sources: [box.bundle(version)],
    repoDir,
    name: 'updates',
    signer: { keyFile: key.privateFile },
    expiresInDays: 30,
  });
  const pm = new PackageManager({ root: box.root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('updates', repoDir, { keys: [key.fingerprint] });
  await pm.update();
}

/** Runs the CLI in this process against `root`; returns its exit code and what it wrote. */
export function cliIn(root: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliHere(['--root', root, ...args]);
}

/**
 * A sandbox for the calling suite: started before its tests with the process's system bus pointed
 * at it (openBox reaches RAUC there), stopped and the bus put back after them.
 */
export function raucForSuite(): RaucSandbox {
  const box = new RaucSandbox();
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  beforeAll(async () => {
    await box.start();
    process.env.DBUS_SYSTEM_BUS_ADDRESS = box.env.DBUS_SYSTEM_BUS_ADDRESS;
  }, 60_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    await box.stop();
  });
  return box;
}
