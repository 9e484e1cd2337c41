import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

/**
 * `bpkg install "$PKG"` in a script whose variable was never set: 'No package  in the verified
 * indexes' (two spaces: the name is empty), exit 3, and `bpkg remove ''` ' is not installed', as if
 * a package had that name. An empty name is bad usage now, said so (exit 2). `bpkg search ''`
 * still lists everything (the demo relies on it). The executable as bpkg.
 */
describe('an empty package name', () => {
  it('install, remove and info: exit 2, said as an empty name; search lists all', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    for (const cmd of ['install', 'remove', 'info']) {
      const r = await bpkg(root, [cmd, '']);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('error: An empty package name (a shell variable not set?)');
      expect(r.stderr).toContain(`hint: Name the package: bpkg ${cmd} NAME`);
    }
    const all = await bpkg(root, ['search', '']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('good');
  });
});
