/**
 * The quick package paths as the executable runs them (dist/blueprint), where a CommonJS package
 * imported with `import()` is a bundle entry that exports `default` alone: `(await
 * import('semver')).gt` was undefined there, though defined under vitest. The quick search of a name
 * that two repositories offer threw on it, and `bpkg search` quietly fell back to the package
 * manager (the same answer, at the package manager's cost): seen here as the package manager's
 * module being loaded (NODE_DEBUG=esm lists every module the executable's loader loads).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkg, makeKey, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

describe('the quick paths in the executable', () => {
  it('search a name two repositories offer without loading the package manager', async () => {
    const { repo: a } = await signedRepo(
      [
        { name: 'shared', version: '1.0.0', summary: 'in both repositories' },
        { name: 'other', version: '1.0.0', summary: 'only here' },
      ],
      key,
    );
    const { repo: b } = await signedRepo(
      [{ name: 'shared', version: '1.10.0', summary: 'in both repositories' }],
      key,
    );
    const root = await trustingRoot(key, a);
    const pm = new PackageManager({ root });
    await pm.repos.add('second', b, { keys: [key.fingerprint] });
    expect((await pm.update()).every((o) => o.ok)).toBe(true);
    const r = await bpkg(root, ['--json', 'search', 'shared'], { ...process.env, NODE_DEBUG: 'esm' });
    expect(r.code, r.stderr).toBe(0);
    // The newer of the two, by semver: the comparison the bundle's import broke.
    expect(JSON.parse(r.stdout).map((h: { version: string; repo: string }) => [h.version, h.repo])).toEqual([
      ['1.10.0', 'second'],
    ]);
    expect(r.stderr).toContain('node-modules-semver-index.mjs');
    expect(r.stderr).not.toContain('core-pkg-index.mjs');
  });
});
