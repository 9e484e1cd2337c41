/**
 * `blueprint setup` with flags instead of a file names each bad answer by its flag (`--admin: …`),
 * except a module no repository offers: `--module hello-dta` was refused as `modules.0.name:
 * "hello-dta" …`, a field of a file the admin never wrote. Now `--module: "hello-dta" …`. Nothing is
 * written either way (exit 2). The real executable, as a user runs it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD, run, signedRepo } from '../helpers/pkg.js';
import { setupWithModule } from '../helpers/setup-flags.js';
import { tempDir } from '../setup/temp-registry.js';

describe('setup flags: a module no repository offers', () => {
  it('is named by its flag, --module, and nothing is written', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = path.join(tempDir('bp-flagmod-'), 'box');
    const r = await run(['--root', root, ...setupWithModule(key, repo, 'goood')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: --module: "goood"');
    expect(r.stderr).toContain('(did you mean good?)');
    expect(r.stderr).not.toContain('modules.0.name');
    expect(existsSync(root)).toBe(false);
  });
});
