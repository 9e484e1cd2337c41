import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECOVERY_KEY_NOTE, readEncryptionState } from '../../src/core/crypt/index.js';
import { recoveryKeyNoteLine } from '../../src/present/encryption.js';
import { statusText } from '../../src/present/host.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * A headless setup leaves a note of where it kept the recovery key (provision-from-disk, 5b17513:
 * never the key). The serial line's and tty2's login prompts show it; tty1 shows the dashboard, so
 * the box's state carries it too: `blueprint status`, the TUI dashboard. Until the admin deletes it.
 */
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('key-note'));
  mkdirSync(path.join(root, path.dirname(RECOVERY_KEY_NOTE)), { recursive: true });
});
afterEach(() => cleanup());

const NOTE =
  "BlueprintOS: this box's data recovery key was kept in /var/lib/blueprint/recovery-key.txt. Move it off the box, then delete it there and this note (/var/lib/blueprint/recovery-key-where).";
const state = () => readEncryptionState({ root, device: path.join(root, 'no-such-partition') });

describe('the note of where the recovery key was kept', () => {
  it('is part of the encryption state, and status shows it on its own line', async () => {
    writeFileSync(path.join(root, RECOVERY_KEY_NOTE), `${NOTE}\n`);
    const s = await state();
    expect(s.recoveryKeyNote).toBe(NOTE);
    expect(recoveryKeyNoteLine(s)).toBe(NOTE);
    const text = statusText({
      version: '0',
      setUp: true,
      host: {
        hostname: 'box',
        arch: 'x86_64',
        uptimeSeconds: 1,
        cpu: { load: [0, 0, 0] },
        memory: { totalBytes: 1, availableBytes: 1 },
      },
      packages: [],
      updates: [],
      services: [],
      exposure: { listeners: [], firewall: 'blueprint' },
      system: { version: '1', bootedSlot: 'A', nextSlot: 'A', slotsAvailable: true },
      egress: { policy: 'deny', destinations: [] },
      encryption: s,
    } as unknown as Parameters<typeof statusText>[0]);
    expect(text.split('\n')).toContain(`  ${NOTE}`);
  });

  it('without one, nothing', async () => {
    expect((await state()).recoveryKeyNote).toBeUndefined();
  });

  it('what reaches a terminal is escaped, one line, bounded', async () => {
    writeFileSync(
      path.join(root, RECOVERY_KEY_NOTE),
      `kept \u001b]0;x\u0007here\nsecond line\n${'y'.repeat(5000)}`,
    );
    const line = recoveryKeyNoteLine(await state())!;
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line).not.toContain('second line');
  });

  it('a link or a FIFO at its name is not read (and does not hang)', async () => {
    symlinkSync('/etc/hostname', path.join(root, RECOVERY_KEY_NOTE));
    expect((await state()).recoveryKeyNote).toBeUndefined();
    execFileSync('rm', [path.join(root, RECOVERY_KEY_NOTE)]);
    execFileSync('mkfifo', [path.join(root, RECOVERY_KEY_NOTE)]);
    expect((await state()).recoveryKeyNote).toBeUndefined();
  });
});
