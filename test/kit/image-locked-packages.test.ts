/**
 * An image's npm package folders must be the ones package-lock.json pins, at the lock's key for
 * where the folder sits (modules/kit/image-sbom.ts, lockedPackageDrift): the catalog fingerprint
 * names the lock's versions, so a folder copied from a node_modules out of step with the lock
 * (no `npm ci` after a pull, `npm install X --no-save`, a hand-patched package) stops the image.
 * A nested folder (…/node_modules/A/node_modules/B) is checked against its nested key, not B's
 * top-level one; llm's folders under app/llm/node_modules count as node_modules/NAME.
 * The top-level case: test/security/image-package-not-the-locked-one.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_SBOM, writeImageSbom } from '../../modules/kit/image-sbom.js';
import { repoRoot } from '../helpers/pkg.js';

const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')).packages as Record<
  string,
  { version?: string }
>;
const locked = (key: string) => lock[key]!.version!;

/** An image root (a Node stand-in) with a package.json at each `app/…` folder given. */
function imageRoot(folders: Record<string, string | undefined>): string {
  const rootfs = mkdtempSync(path.join(tmpdir(), 'bp-kit4-lock-'));
  mkdirSync(path.join(rootfs, 'usr/bin'), { recursive: true });
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf.writeUInt16LE(0x3e, 18);
  writeFileSync(path.join(rootfs, 'usr/bin/node'), elf);
  for (const [folder, version] of Object.entries(folders)) {
    mkdirSync(path.join(rootfs, folder), { recursive: true });
    const name = folder.slice(folder.lastIndexOf('node_modules/') + 'node_modules/'.length);
    writeFileSync(path.join(rootfs, folder, 'package.json'), JSON.stringify({ name, version }));
  }
  return rootfs;
}

const write = (rootfs: string) =>
  writeImageSbom(rootfs, { name: 'probe', version: '1.0.0', summary: 'probe' }, [
    { inputs: {}, outputs: {} },
  ]);

describe("an image's package folders against package-lock.json", () => {
  // The lock pins chalk twice: 6.x at the top, 5.x nested under node-llama-cpp.
  const nested = 'node_modules/node-llama-cpp/node_modules/chalk';

  it('nested and llm-placed folders at their own keys pass: the SBOM is written', () => {
    expect(locked(nested)).not.toBe(locked('node_modules/chalk'));
    const rootfs = imageRoot({
      [`app/${nested}`]: locked(nested),
      'app/llm/node_modules/@node-llama-cpp/linux-x64': locked('node_modules/@node-llama-cpp/linux-x64'),
    });
    write(rootfs);
    expect(readFileSync(path.join(rootfs, IMAGE_SBOM), 'utf8')).toContain('"bomFormat"');
  });

  it('a nested folder at the top-level version, not its nested key: refused, naming the key and npm install', () => {
    const rootfs = imageRoot({ [`app/${nested}`]: locked('node_modules/chalk') });
    expect(() => write(rootfs)).toThrow(
      new RegExp(
        `${nested}@${locked('node_modules/chalk')}.*package-lock\\.json.*${locked(nested)}[^]*npm install`,
      ),
    );
  });

  it('a folder the lock has no entry for, or one without a version: refused; every one named at once', () => {
    const rootfs = imageRoot({
      'app/node_modules/not-in-the-lock': '1.0.0',
      'app/node_modules/hnswlib-node': undefined,
    });
    let message = '';
    try {
      write(rootfs);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/node_modules\/not-in-the-lock@1\.0\.0/);
    expect(message).toMatch(/node_modules\/hnswlib-node@\(no version\)/);
    expect(message).toMatch(/run npm install/);
    // Nothing half-done: no SBOM left in the refused root.
    expect(() => readFileSync(path.join(rootfs, IMAGE_SBOM))).toThrow();
  });
});
