/**
 * systemd-boot lets anyone at the keyboard edit an entry's kernel command line (hold a key at
 * power-on, then `e`) unless loader.conf says `editor no`: its default is yes (systemd 252,
 * src/boot/efi/boot.c, `.editor = true`). Appending `init=/bin/sh`, initramfs-tools'
 * `break=premount` or `systemd.setenv=SYSTEMD_SULOGIN_FORCE=1 emergency` gives a root shell with
 * no password, the locked root account notwithstanding; on an encrypted A/B box the TPM, sealed to
 * PCR 7 only (which the command line does not change), still unseals the data key for it.
 *
 * The disks are written with no `editor` line (scripts/build-image*.sh). On an A/B box the
 * bootloader backend RAUC runs (image/rauc/bootloader-backend: set-primary at an update, set-state
 * when the health check marks the booted slot good, at every healthy boot) turns it off, so boxes
 * already in the field lose the editor at their next healthy boot.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const backend = new URL('../../image/rauc/bootloader-backend', import.meta.url).pathname;
let esp = '';
afterEach(() => {
  if (esp) rmSync(esp, { recursive: true, force: true });
});

// An ESP as build-image-ab.sh writes it, slot A on its first trial.
function freshEsp(loaderConf: string): string {
  esp = mkdtempSync(path.join(tmpdir(), 'g-esp-'));
  mkdirSync(path.join(esp, 'loader/entries'), { recursive: true });
  writeFileSync(path.join(esp, 'loader/loader.conf'), loaderConf);
  writeFileSync(
    path.join(esp, 'loader/entries/blueprint-a+3.conf'),
    'title BlueprintOS (slot A)\nsort-key 1-blueprint-a\nlinux /blueprint-a/vmlinuz\ninitrd /blueprint-a/initrd.img\noptions root=PARTLABEL=root-a rauc.slot=A ro\n',
  );
  return esp;
}
const run = (...args: string[]) =>
  execFileSync(backend, args, {
    encoding: 'utf8',
    // No systemd-bless-boot here: the backend renames the entry itself.
    env: { PATH: process.env.PATH, BLUEPRINT_ESP: esp, BLUEPRINT_BLESS_BOOT: '/nonexistent' },
  });
const loaderLines = () => readFileSync(path.join(esp, 'loader/loader.conf'), 'utf8').trim().split('\n');

describe('the A/B boot loader cannot have its command line edited at boot', () => {
  it('marking the booted slot good turns the editor off, keeping the rest of loader.conf', () => {
    freshEsp('timeout 0\ndefault blueprint-*\n');
    run('set-state', 'A', 'good');
    expect(loaderLines()).toEqual(['timeout 0', 'default blueprint-*', 'editor no']);
    expect(run('get-state', 'A').trim()).toBe('good');
  });

  it('an editor line that says yes is replaced, not followed by a second one', () => {
    freshEsp('timeout 0\neditor yes\ndefault blueprint-*\n');
    run('set-state', 'A', 'bad');
    expect(loaderLines()).toEqual(['timeout 0', 'default blueprint-*', 'editor no']);
  });

  it('leaves a loader.conf that already says no as it is', () => {
    freshEsp('timeout 0\neditor no\ndefault blueprint-*\n');
    run('set-state', 'A', 'good');
    expect(loaderLines()).toEqual(['timeout 0', 'editor no', 'default blueprint-*']);
  });
});
