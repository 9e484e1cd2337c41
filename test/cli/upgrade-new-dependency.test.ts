/**
 * `bpkg upgrade` to a version that needs a package not installed yet installs it too; its line said
 * 'upgraded newlib undefined -> 1.0.0' (a package new to the box has no version it was upgraded
 * from). It now says 'installed newlib 1.0.0 from main (a dependency of app)', as install says it,
 * and the upgraded package's line is as before. The plan asked about on a terminal said
 * 'newlib undefined -> 1.0.0 (from main)' too: now 'newlib 1.0.0 (new, from main) (a dependency of
 * app)' (present/install.ts upgradePlanLines). The real executable, and the plan's lines.
 */
import { describe, expect, it } from 'vitest';
import { upgradePlanLines } from '../../src/present/install.js';
import { boxBeforeNewDependency } from '../helpers/new-dependency.js';
import { bpkg } from '../helpers/pkg.js';

describe('bpkg upgrade that brings in a new dependency', () => {
  it('names it as installed, a dependency of the package upgraded', async () => {
    const root = await boxBeforeNewDependency();
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const up = await bpkg(root, ['--yes', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toContain('undefined');
    expect(up.stdout).toContain('upgraded app 1.0.0 -> 2.0.0');
    expect(up.stdout).toContain('installed newlib 1.0.0 from main (a dependency of app)');
  });

  it('the plan before the yes names it as new, and whose dependency it is', () => {
    expect(
      upgradePlanLines([
        { name: 'app', from: '1.0.0', to: '2.0.0', repo: 'main' },
        { name: 'newlib', to: '1.0.0', repo: 'main', dependencyOf: ['app'] },
      ]),
    ).toEqual(['app 1.0.0 -> 2.0.0 (from main)', 'newlib 1.0.0 (new, from main) (a dependency of app)']);
  });
});
