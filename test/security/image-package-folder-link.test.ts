/**
 * REVIEW15, attack on KIT4's b876f740: the image's package folders are checked against
 * package-lock.json by walking the image root (filesUnder), which passes over symbolic links. A
 * package folder that is a link (embeddings' recipe copies onnxruntime-common with cpSync and no
 * dereference: an `npm link`ed onnxruntime-common arrives as a link to the host's folder) was
 * neither checked nor listed in the SBOM, and the SBOM was written: an image whose package is not
 * the lock's (or not there at all: the link points at a host path) passed the check meant to stop it.
 * A link anywhere under an image's node_modules is now refused, named.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_SBOM, writeImageSbom } from '../../modules/kit/image-sbom.js';
import { repoRoot } from '../helpers/pkg.js';

const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')).packages as Record<
  string,
  { version?: string }
>;

function imageRoot(): string {
  const rootfs = mkdtempSync(path.join(tmpdir(), 'bp-review15-link-'));
  mkdirSync(path.join(rootfs, 'usr/bin'), { recursive: true });
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf.writeUInt16LE(0x3e, 18);
  writeFileSync(path.join(rootfs, 'usr/bin/node'), elf);
  mkdirSync(path.join(rootfs, 'app/node_modules'), { recursive: true });
  return rootfs;
}

/** A package folder outside the image, at a version the lock does not pin. */
function hostFolder(name: string, version: string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bp-review15-host-')), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version }));
  return dir;
}

const write = (rootfs: string) =>
  writeImageSbom(rootfs, { name: 'probe', version: '1.0.0', summary: 'probe' }, [
    { inputs: {}, outputs: {} },
  ]);

describe('a package folder that is a link in the image root', () => {
  it('is refused, named, and no SBOM is written', () => {
    const rootfs = imageRoot();
    symlinkSync(
      hostFolder('onnxruntime-common', '0.0.1-linked'),
      path.join(rootfs, 'app/node_modules/onnxruntime-common'),
    );
    expect(() => write(rootfs)).toThrow(/app\/node_modules\/onnxruntime-common is a link/);
    expect(() => readFileSync(path.join(rootfs, IMAGE_SBOM))).toThrow();
  });

  it('a link to a file inside a package folder is refused too', () => {
    const rootfs = imageRoot();
    const dir = path.join(rootfs, 'app/node_modules/chalk');
    mkdirSync(dir, { recursive: true });
    symlinkSync(path.join(hostFolder('chalk', '0.0.1'), 'package.json'), path.join(dir, 'package.json'));
    expect(() => write(rootfs)).toThrow(/app\/node_modules\/chalk\/package.json is a link/);
  });

  it('the same package copied as a folder at the lock version passes', () => {
    const rootfs = imageRoot();
    const dir = path.join(rootfs, 'app/node_modules/chalk');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'chalk', version: lock['node_modules/chalk']!.version }),
    );
    write(rootfs);
    expect(readFileSync(path.join(rootfs, IMAGE_SBOM), 'utf8')).toContain('"chalk"');
  });
});
