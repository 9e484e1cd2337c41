// The single-slot image boots root=LABEL=root: a second disk whose filesystem is labelled `root`
// (a USB stick) must halt the box in the initramfs, saying why on the console, instead of booting
// either (local-premount/blueprint-root-unique; test/security/boot-root-unique.test.ts runs the
// script on loop devices). Written 2026-12-01 on a VM with no image build: not yet run.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireImage } from './image.js';
import { Guest } from './qemu.js';

describe('a second disk labelled root beside the box', () => {
  const guest = new Guest();

  beforeAll(async () => {
    requireImage();
    // A stick with an empty ext4 filesystem labelled root: enough for blkid, and for
    // initramfs-tools to have mounted it as the root had it been found first.
    const stick = path.join(guest.dir, 'stick-root.img');
    execFileSync('truncate', ['-s', '64M', stick]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'root', stick]);
    await guest.start({ disks: [stick] });
  });
  afterAll(() => guest.stop());

  it('halts in the initramfs and says why, before any system starts', { timeout: 600_000 }, async () => {
    await guest.waitFor(/blueprint: 2 disks carry the root this box boots \(LABEL=root\)/, 580_000);
    // Nothing from either root ran: no systemd, no wizard, no login.
    await new Promise((r) => setTimeout(r, 20_000));
    expect(guest.console).not.toMatch(/systemd\[1\]|Welcome to|Name of this box on the network|login:/);
  });
});
