/**
 * The console on an x86-64 CPU without SSE4.1: QEMU's default qemu64 model (what the image tests
 * boot under TCG), Proxmox's old kvm64, CPUs from before 2008. The console sets `--liftoff-only`
 * (START_FLAGS) to keep Yoga's WebAssembly on V8's baseline compiler, but Liftoff needs SSE4.1 and
 * that testing flag made its bailout fatal: the first-boot wizard aborted before its first frame ("Fatal
 * error ... --liftoff-only: treating bailout as fatal error. Cause: no SSE4.1"), found booting
 * the image (test/image/boot.test.ts). Now `--no-wasm-tier-up` keeps Yoga on Liftoff where it can
 * run, TurboFan where it cannot. Here the executable runs under qemu-user with that CPU (its
 * /proc/cpuinfo is the host's, so no reading of it could have told).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { START_FLAGS } from '../../src/tui/runtime.js';
import { tempDir } from '../setup/temp-registry.js';
import { exe, Pane, requireExe } from './tmux.js';

const QEMU = '/usr/bin/qemu-x86_64-static';

describe('the console on a CPU without SSE4.1', () => {
  it("keeps Yoga on Liftoff without V8's testing flag that makes a bailout fatal", () => {
    expect(START_FLAGS).toContain('--no-wasm-tier-up');
    expect(START_FLAGS).not.toContain('--liftoff-only');
  });

  it.skipIf(process.arch !== 'x64' || !existsSync(QEMU))(
    'the setup wizard paints its first step under qemu64 (no SSE4.1) instead of aborting',
    async () => {
      requireExe();
      const pane = new Pane([QEMU, '-cpu', 'qemu64', exe, '--root', tempDir('bp-sse41-'), 'setup'], {
        width: 100,
        height: 40,
      });
      try {
        const screen = await pane.waitFor(/Step 1 of|EXIT=/, 2400);
        expect(screen).not.toContain('Fatal error');
        expect(screen).toContain('Step 1 of');
      } finally {
        pane.kill();
      }
    },
    180_000,
  );
});
