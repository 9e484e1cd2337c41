// Headless setup from a BLUEPRINT disk whose answers setup refuses: the serial console says the
// setup did not finish and stays locked; the wizard never comes (image/README.md, "First boot";
// test/security/provision-failed-console.test.ts runs the scripts in a namespace). Written
// 2026-12-01 on a VM with no image build: not yet run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisioningDisk, requireImage } from './image.js';
import { Guest } from './qemu.js';

describe('a BLUEPRINT disk whose answers setup refuses', () => {
  const guest = new Guest();

  beforeAll(async () => {
    requireImage();
    // A host name the schema refuses (a space and a '!'): setup exits 2 before writing anything.
    const disk = provisioningDisk(guest.dir, {
      hostname: 'not a host!',
      admin: { name: 'admin', keys: ['ssh-ed25519 AAAA not-a-key'] },
      ssh: { enabled: true },
    });
    await guest.start({ disks: [disk] });
  });
  afterAll(() => guest.stop());

  it('shows why on the serial console and offers no wizard', { timeout: 600_000 }, async () => {
    const at = await guest.waitFor(/headless setup from the BLUEPRINT disk did not finish/, 580_000);
    await guest.waitFor(/remove the BLUEPRINT disk and restart the box/, 30_000, at);
    expect(guest.console).toMatch(/hostname/i); // setup's refusal, from the journal
    expect(guest.console).not.toMatch(/Name of this box on the network/);
  });

  it('stays locked: Ctrl-C and Enter bring neither the wizard nor a login prompt', {
    timeout: 120_000,
  }, async () => {
    const from = guest.console.length;
    await guest.type('\x03\r\x1c\r\x1a\r');
    await new Promise((r) => setTimeout(r, 20_000));
    const after = guest.console.slice(from);
    expect(after).not.toMatch(/Name of this box on the network|login:/);
  });
});
