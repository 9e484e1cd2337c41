/**
 * systemd-boot lets anyone at the keyboard edit an entry's kernel command line (hold a key at
 * power-on, `e`) unless loader.conf says `editor no`; its default is yes (systemd 252,
 * src/boot/efi/boot.c: `.editor = true`). With it, `init=/bin/sh`, `break=premount` (initramfs-tools)
 * or `systemd.setenv=SYSTEMD_SULOGIN_FORCE=1 emergency` give a root shell with no password, the
 * locked root account notwithstanding; and on an encrypted A/B box the TPM, sealed to PCR 7 only
 * (which the command line does not touch), still unseals the data key for that shell. Both disks
 * the build writes (build-image.sh --uefi, build-image-ab.sh) must turn the editor off.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
// The loader.conf text each build script writes onto the ESP (a printf piped into mcopy).
const loaderConf = (script: string) => {
  const text = readFileSync(new URL(script, root), 'utf8');
  const lines = text.split('\n').filter((l) => /::\/loader\/loader\.conf\b/.test(l));
  return lines.map((l) => /printf '([^']*)'/.exec(l)?.[1]?.replaceAll('\\n', '\n') ?? '');
};

describe('the boot loader on the disks the build writes', () => {
  it.each(['scripts/build-image.sh', 'scripts/build-image-ab.sh'])(
    '%s: the kernel command line cannot be edited at boot',
    (script) => {
      const confs = loaderConf(script);
      expect(confs.length, 'no loader.conf written').toBeGreaterThan(0);
      for (const conf of confs) expect(conf.split('\n').map((l) => l.trim())).toContain('editor no');
    },
  );
});
