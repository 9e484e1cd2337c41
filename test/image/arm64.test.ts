// The arm64 image (issue 22): `scripts/build-image.sh --arch arm64 --uefi`, booted under
// qemu-system-aarch64 (TCG: every instruction emulated, minutes) through AAVMF and systemd-boot to
// the setup wizard on the serial console (ttyAMA0), answered from here; then the admin's SSH login,
// where `blueprint --json status` answers and names the architecture, and the offline catalog
// offers the aarch64 builds. Runs only with `npm run test:image -- --arch arm64`
// (scripts/test-image.sh sets BLUEPRINT_IMAGE_ARCH and points BLUEPRINT_IMAGE_DIR at the image).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDir, requireImage, rootfs } from './image.js';
import { Guest } from './qemu.js';
import { answerWizard } from './wizard.js';

const HOSTNAME = 'bp-arm64';
const arm64 = process.env.BLUEPRINT_IMAGE_ARCH === 'arm64';

describe.skipIf(!arm64)('the arm64 image under qemu-system-aarch64', () => {
  const guest = new Guest();
  const key = path.join(guest.dir, 'admin_ed25519');
  let started = 0;
  const asAdmin = (...command: string[]) =>
    guest.ssh('admin', command, ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no'], {
      timeoutMs: 300_000,
    });

  beforeAll(async () => {
    requireImage();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@arm64', '-f', key]);
    started = Date.now();
    await guest.start({ arch: 'aarch64', memoryMiB: 2048 });
  });
  afterAll(() => guest.stop());

  it('was built for arm64: aarch64 programs, the arm64 kernel and systemd-boot on the disk', () => {
    expect(existsSync(path.join(imageDir, 'disk.qcow2'))).toBe(true);
    // e_machine 183: EM_AARCH64.
    for (const f of ['usr/local/bin/blueprint', 'usr/bin/podman', 'usr/lib/systemd/systemd'])
      expect(readFileSync(path.join(rootfs, f)).readUInt16LE(18), f).toBe(183);
    expect(existsSync(path.join(rootfs, 'usr/lib/systemd/boot/efi/systemd-bootaa64.efi'))).toBe(true);
    expect(readFileSync(path.join(imageDir, 'cmdline'), 'utf8')).toContain('console=ttyAMA0');
  });

  it('boots through AAVMF and systemd-boot to the setup wizard on ttyAMA0', {
    timeout: 1_800_000,
  }, async () => {
    await guest.waitFor(/Step 1 of \d+: Host name[\s\S]*Name of this box on the network/, 1_780_000);
    console.info(
      `arm64 boot (TCG): wizard on the serial console after ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
  });

  it('takes the answers: host name, admin key, SSH on', { timeout: 1_800_000 }, async () => {
    await answerWizard(guest, { hostname: HOSTNAME, key });
    console.info(`arm64 boot (TCG): setup applied after ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  it('lets the admin in over SSH, where blueprint --json status names aarch64', {
    timeout: 900_000,
  }, async () => {
    let result = await asAdmin('blueprint', '--json', 'status');
    for (let i = 0; result.code !== 0 && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 5000)); // sshd may still be starting
      result = await asAdmin('blueprint', '--json', 'status');
    }
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      setUp: true,
      host: { hostname: HOSTNAME, arch: 'aarch64' },
    });
    const uname = await asAdmin('uname', '-m');
    expect(uname.stdout.trim()).toBe('aarch64');
    console.info(`arm64 boot (TCG): status over SSH after ${((Date.now() - started) / 1000).toFixed(0)}s`);
  });

  it('carries the offline catalog built for aarch64, which the box searches', {
    timeout: 600_000,
  }, async () => {
    const index = JSON.parse(
      readFileSync(path.join(rootfs, 'usr/share/blueprint/catalog/index.json'), 'utf8'),
    );
    const arches = new Set((index.packages as { arch: string }[]).map((p) => p.arch));
    expect(index.packages.length).toBeGreaterThan(0);
    expect([...arches].filter((a) => a !== 'aarch64' && a !== 'all')).toEqual([]);
    const result = await asAdmin('blueprint', '--json', 'pkg', 'search', 'hello');
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((h) => h.name)).toContain('hello');
  });
});
