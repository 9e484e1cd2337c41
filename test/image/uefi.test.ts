// The bootable disk (`scripts/build-image.sh --uefi`, which `npm run test:image` passes): GPT, an
// ESP with systemd-boot and the kernel, then the root filesystem. Booted under OVMF, it reaches
// the setup wizard on the serial console like the direct kernel boot does.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { imageDir, requireImage } from './image.js';
import { Guest } from './qemu.js';

const disk = path.join(imageDir, 'disk.qcow2');

describe.skipIf(!existsSync(disk))('the UEFI disk image', () => {
  const guest = new Guest();
  beforeAll(async () => {
    requireImage();
    await guest.start({ uefi: true });
  });
  afterAll(() => guest.stop());

  it('boots through OVMF and systemd-boot to the setup wizard', { timeout: 600_000 }, async () => {
    const started = Date.now();
    await guest.waitFor(/Step 1 of \d+: Host name[\s\S]*Name of this box on the network/, 580_000);
    console.info(
      `UEFI boot: wizard on the serial console after ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
  });
});
