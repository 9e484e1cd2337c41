/**
 * `blueprint setup` with flags, a --module and a --repo-url whose index cannot be fetched: the
 * refusal ('cannot be checked: the index of repository main could not be fetched', a failure, not
 * a usage error) named the module as `modules.0.name`, a field of a file the admin never wrote,
 * while the usage errors name flags (fee15c33). Now `--module: "good" cannot be checked`. Nothing
 * is written. The real executable, as a user runs it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD, run, signedRepo } from '../helpers/pkg.js';
import { setupWithModule } from '../helpers/setup-flags.js';
import { tempDir } from '../setup/temp-registry.js';

describe('setup flags: a module from a repository that cannot be fetched', () => {
  it('is named by its flag, --module, with the failure; nothing is written', async () => {
    const { key } = await signedRepo([GOOD]);
    const gone = path.join(tempDir('bp-flagunf-gone-'), 'repo');
    const root = path.join(tempDir('bp-flagunf-'), 'box');
    const args = setupWithModule(key, gone, 'good');
    const r = await run(['--root', root, ...args]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('error: --module: "good" cannot be checked: the index of repository main');
    expect(r.stderr).not.toContain('modules.0.name');
    expect(existsSync(root)).toBe(false);
    const j = await run(['--root', root, '--json', ...args]);
    expect(j.code).toBe(r.code);
    expect(JSON.parse(j.stdout).error.message).toMatch(/^--module: "good" cannot be checked/);
    expect(existsSync(root)).toBe(false);
  });
});
