/**
 * REVIEW13 (attack on 3f0781a6/dc02e809, modules/kit/image-sbom.ts): the SBOM a recipe writes into
 * its module's image reads the finished image root. Checked here on a made-up root:
 * - a library in the image that is not the host's file at the same path (changed after the copy,
 *   or another build's) was named as the host's Debian package at dpkg's version when its size
 *   matched: the SBOM vouched for bytes it never compared. It is now named as that package only
 *   when its bytes are the host's; otherwise it is a file with its own SHA-256;
 * - links inside the root (to a host file, to a host folder) are not followed: nothing outside the
 *   root is hashed or listed under the image's paths;
 * - a file name with control characters is written as JSON escapes, never a raw escape byte.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_SBOM, writeImageSbom } from '../../modules/kit/image-sbom.js';

const HOST_LIB = '/lib/x86_64-linux-gnu/libz.so.1';

/** An image root with a Node binary stand-in (an x86-64 ELF header) and `app/`. */
function imageRoot(): string {
  const rootfs = mkdtempSync(path.join(tmpdir(), 'bp-review13-sbom-'));
  mkdirSync(path.join(rootfs, 'usr/bin'), { recursive: true });
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf.writeUInt16LE(0x3e, 18);
  writeFileSync(path.join(rootfs, 'usr/bin/node'), elf);
  mkdirSync(path.join(rootfs, 'app'), { recursive: true });
  return rootfs;
}

function sbomOf(rootfs: string) {
  writeImageSbom(rootfs, { name: 'probe', version: '1.0.0', summary: 'probe' }, [
    { inputs: {}, outputs: {} },
  ]);
  const text = readFileSync(path.join(rootfs, IMAGE_SBOM), 'utf8');
  return {
    text,
    components: (
      JSON.parse(text) as {
        components: { name: string; 'bom-ref': string; hashes?: { content: string }[] }[];
      }
    ).components,
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe("an image's SBOM names what the image holds", () => {
  it.skipIf(process.arch !== 'x64')(
    "a library whose bytes are not the host's (same size) is a file with its own hash, not the host's Debian package",
    () => {
      const rootfs = imageRoot();
      const host = readFileSync(HOST_LIB);
      mkdirSync(path.join(rootfs, path.dirname(HOST_LIB)), { recursive: true });
      // The host's file is what the copy says it is.
      writeFileSync(path.join(rootfs, HOST_LIB), host);
      const same = sbomOf(rootfs).components;
      expect(same.some((c) => c['bom-ref'].startsWith('deb:zlib1g@'))).toBe(true);
      // One byte changed, the size the same.
      const changed = Buffer.from(host);
      changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 0xff, changed.length - 1);
      writeFileSync(path.join(rootfs, HOST_LIB), changed);
      const other = sbomOf(rootfs).components;
      expect(other.some((c) => c['bom-ref'].startsWith('deb:zlib1g@'))).toBe(false);
      const file = other.find((c) => c.name === HOST_LIB);
      expect(file?.hashes?.[0]?.content).toBe(sha256(changed));
    },
  );

  it('links inside the root are not followed: nothing outside it is hashed or listed, a loop ends', () => {
    const rootfs = imageRoot();
    const outside = mkdtempSync(path.join(tmpdir(), 'bp-review13-host-'));
    writeFileSync(path.join(outside, 'host-secret.so'), 'a host file');
    mkdirSync(path.join(rootfs, 'app/evil'), { recursive: true });
    symlinkSync('/etc/passwd', path.join(rootfs, 'app/evil/passwd.so'));
    symlinkSync(outside, path.join(rootfs, 'app/evil/host-folder'));
    // A link to a folder above itself: followed, the walk goes round until the path is too long.
    symlinkSync('..', path.join(rootfs, 'app/evil/loop'));
    mkdirSync(path.join(rootfs, 'usr/lib'), { recursive: true });
    symlinkSync('/etc/shadow', path.join(rootfs, 'usr/lib/libshadow.so.1'));
    symlinkSync(outside, path.join(rootfs, 'usr/lib/host-folder'));
    const { text, components } = sbomOf(rootfs);
    const names = components.map((c) => c.name);
    expect(names.filter((n) => /evil|shadow|host-/.test(n))).toEqual([]);
    expect(text).not.toContain(sha256(readFileSync('/etc/passwd')));
    expect(text).not.toContain(sha256(Buffer.from('a host file')));
  });

  it('links inside a package folder: the image is refused, each named, no SBOM (REVIEW15, test/security/image-package-folder-link)', () => {
    const rootfs = imageRoot();
    mkdirSync(path.join(rootfs, 'app/node_modules/evil'), { recursive: true });
    symlinkSync('/etc/passwd', path.join(rootfs, 'app/node_modules/evil/passwd.so'));
    symlinkSync('..', path.join(rootfs, 'app/node_modules/evil/loop'));
    expect(() => sbomOf(rootfs)).toThrow(
      /app\/node_modules\/evil\/loop is a link, app\/node_modules\/evil\/passwd.so is a link/,
    );
  });

  it('a native file name with control characters is JSON-escaped, no raw escape byte', () => {
    const rootfs = imageRoot();
    mkdirSync(path.join(rootfs, 'app/node_modules/x'), { recursive: true });
    writeFileSync(path.join(rootfs, 'app/node_modules/x/a\x1b[31m\x07b.node'), 'addon');
    const { text, components } = sbomOf(rootfs);
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(components.map((c) => c.name)).toContain('/app/node_modules/x/a\x1b[31m\x07b.node');
  });
});
