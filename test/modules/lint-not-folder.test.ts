import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/lint.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint module lint manifest.json` (or any file): 'module (unnamed) in manifest.json' and
 * 'manifest.json: missing: a module folder needs manifest.json', exit 4, as if the file were a
 * folder without one. A file is refused as a usage error that names the folder to give.
 */
describe('module lint given a file', () => {
  it('is refused (2), and the manifest file points at its folder', async () => {
    const dir = path.join(tempDir('bp-lint-file-'), 'm');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'manifest.json'), '{}');
    const err = await lintModule(path.join(dir, 'manifest.json')).catch((e) => e);
    expect(err).toMatchObject({ code: 'usage', exitCode: 2 });
    expect(err.message).toBe(`${path.join(dir, 'manifest.json')} is not a folder`);
    expect(err.hint).toContain(`blueprint module lint ${dir}`);
  });
});
