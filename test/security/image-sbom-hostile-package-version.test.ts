/**
 * The image SBOM's lock check (modules/kit/image-sbom.ts lockedPackageDrift, KIT4's b876f740) names
 * each drifted package folder with the version its package.json says. That file is a dependency
 * author's (a package shipping a fixture under its own node_modules/, which has no lock entry) or
 * anyone's who edited node_modules: REVIEW15 found its version string put into the build's error as
 * written, terminal escapes and all (an OSC retitling the terminal, a line erase hiding the refusal)
 * and at any length (a 1 MB version made a 1 MB error line). So did a folder name with control
 * characters. Now both are shown quoted as JSON (escapes visible) and cut to a bounded length.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockedPackageDrift } from '../../modules/kit/image-sbom.js';

const lock = { 'node_modules/chalk': { version: '5.6.2' } };

function rootWith(folder: string, version: unknown): { rootfs: string; files: string[] } {
  const rootfs = mkdtempSync(path.join(tmpdir(), 'bp-review15-sbom-'));
  mkdirSync(path.join(rootfs, folder), { recursive: true });
  writeFileSync(path.join(rootfs, folder, 'package.json'), JSON.stringify({ name: 'x', version }));
  return { rootfs, files: [`${folder}/package.json`] };
}

// ESC, BEL, CR, DEL and the C1 CSI: anything a terminal acts on instead of drawing.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

describe('a drifted package named in the image refusal', () => {
  it('a version with terminal escapes is shown with them visible, not acted on', () => {
    const hostile = '\u001b]0;all checks passed\u0007\u001b[2K\r5.6.2\u009b31m';
    const { rootfs, files } = rootWith('app/node_modules/chalk', hostile);
    const [line] = lockedPackageDrift(rootfs, files, lock);
    expect(line).toBeDefined();
    expect(line).not.toMatch(CONTROL);
    expect(line).toContain('\\u001b]0;all checks passed');
    expect(line).toContain('package-lock.json: 5.6.2');
  });

  it('a 1 MB version is cut, the line stays short', () => {
    const { rootfs, files } = rootWith('app/node_modules/chalk', `5.6.2-${'A'.repeat(1024 * 1024)}`);
    const [line] = lockedPackageDrift(rootfs, files, lock);
    expect(line!.length).toBeLessThan(300);
    expect(line).toContain('5.6.2-AAAA');
    expect(line).toContain('…');
  });

  it('a folder name with control characters is shown escaped', () => {
    const { rootfs, files } = rootWith('app/node_modules/chalk\u001b[8m', '1.0.0');
    const [line] = lockedPackageDrift(rootfs, files, lock);
    expect(line).not.toMatch(CONTROL);
    expect(line).toContain('chalk\\u001b[8m');
    expect(line).toContain('no entry');
  });

  it('a plain drifted version reads as before', () => {
    const { rootfs, files } = rootWith('app/node_modules/chalk', '5.0.0');
    expect(lockedPackageDrift(rootfs, files, lock)).toEqual([
      'node_modules/chalk@5.0.0 (package-lock.json: 5.6.2)',
    ]);
  });
});
