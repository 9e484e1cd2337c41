/**
 * What bpkg said after a change, read as an apt user reads it: `bpkg rollback good` said only
 * 'good: 1.1.0 -> 1.0.0' (not that it rolled back, nor how to swap back), and `bpkg install
 * good` with good installed 'Nothing to do: already installed.' without saying which version. Now
 * 'rolled back good 1.1.0 -> 1.0.0 (`bpkg rollback good` swaps back)' and 'Nothing to do: good
 * 1.1.0 is already installed.' The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('what bpkg says after a change', () => {
  it('rollback says it rolled back; install of what is there names its version', async () => {
    const { key, repo } = await signedRepo([GOOD, { ...GOOD, version: '1.1.0' }]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'good@1.0.0'])).code).toBe(0);
    expect((await bpkg(root, ['--yes', 'install', 'good'])).code).toBe(0);

    const again = await bpkg(root, ['--yes', 'install', 'good']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing to do: good 1.1.0 is already installed.');

    const back = await bpkg(root, ['rollback', 'good']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(
      `rolled back good 1.1.0 -> 1.0.0 (\`bpkg --root ${root} rollback good\` swaps back)`,
    );
    // --json as it was: one package, its change.
    const json = await bpkg(root, ['--json', 'rollback', 'good']);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'good', from: '1.0.0', to: '1.1.0', stillRunning: [] });
  });
});
