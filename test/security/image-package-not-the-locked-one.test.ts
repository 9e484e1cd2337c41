/**
 * REVIEW14 (attack on 85c64787, for KIT3: the fix is in modules/kit, their area): the catalog
 * fingerprint names each npm package folder a recipe copies into its image at package-lock.json's
 * version (scripts/catalog/fingerprint.ts), but the recipes copy the folder as node_modules holds it,
 * and nothing compares the two when the image is made. A publisher whose node_modules is not the
 * lock's (a `git pull` without `npm ci`, an `npm install X --no-save`, a package patched by hand)
 * makes an image whose package is another version than the fingerprint says, and the catalog guard
 * (test/llm/catalog-package-versions) passes: the same module version, other content.
 * The image's SBOM, written from the finished image root (modules/kit/image-sbom.ts, every
 * app/**\/node_modules/NAME/package.json), is where every copied folder is seen: a folder whose
 * version is not the lock's must stop the image there, naming `npm install` (what our scripts run). Fixed in
 * b876f740 (KIT4).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImageSbom } from '../../modules/kit/image-sbom.js';
import { readLock } from '../../scripts/catalog/fingerprint.js';

/** An image root (a Node stand-in) carrying node_modules/NAME at `version`. */
function imageRootWith(name: string, version: string): string {
  const rootfs = mkdtempSync(path.join(tmpdir(), 'bp-review14-lock-'));
  mkdirSync(path.join(rootfs, 'usr/bin'), { recursive: true });
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf.writeUInt16LE(0x3e, 18);
  writeFileSync(path.join(rootfs, 'usr/bin/node'), elf);
  const folder = path.join(rootfs, 'app/node_modules', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name, version }));
  writeFileSync(path.join(folder, 'index.js'), 'module.exports = 1;\n');
  return rootfs;
}

const write = (rootfs: string) =>
  writeImageSbom(rootfs, { name: 'vectors', version: '0.4.0', summary: 'probe' }, [
    { inputs: {}, outputs: {} },
  ]);

describe("an image's package folder that is not the lock's version", () => {
  const locked = readLock()['node_modules/hnswlib-node']!.version!;

  it('at the locked version: the SBOM is written (a guard)', () => {
    const rootfs = imageRootWith('hnswlib-node', locked);
    write(rootfs);
    expect(readFileSync(path.join(rootfs, 'app/sbom.cdx.json'), 'utf8')).toContain(`hnswlib-node`);
  });

  it('at another version than package-lock.json pins: the image is refused, naming npm install', () => {
    const rootfs = imageRootWith('hnswlib-node', `${locked}-drifted`);
    expect(() => write(rootfs)).toThrow(/run npm install/);
  });
});
