/**
 * `bpkg list` did not say which packages came in as dependencies: its table was NAME VERSION ORIGIN
 * SUMMARY for all alike, while --json had `auto` and `bpkg info` said 'Installed as: a dependency'
 * (apt list --installed: `[installed,automatic]`). The table now has an INSTALLED AS column that
 * says `dependency` for those, empty for a package asked for by name. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg list marks the packages installed as dependencies', () => {
  it('says dependency on their rows only; --json keeps auto', async () => {
    const { key, repo } = await signedRepo([
      { name: 'libgreet', version: '1.0.0', summary: 'greeting library' },
      { name: 'hello', version: '1.0.0', summary: 'says hello', depends: ['libgreet>=1.0.0'] },
    ]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'hello'])).code).toBe(0);
    const r = await bpkg(root, ['list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+ORIGIN\s+INSTALLED AS\s+SUMMARY$/);
    expect(lines.find((l) => l.startsWith('libgreet'))).toMatch(
      /^libgreet\s+1\.0\.0\s+main\s+dependency\s+greeting library$/,
    );
    expect(lines.find((l) => l.startsWith('hello'))).toMatch(/^hello\s+1\.0\.0\s+main\s+says hello$/);
    const json = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as Array<{
      name: string;
      auto?: boolean;
    }>;
    expect(json.find((p) => p.name === 'libgreet')?.auto).toBe(true);
    expect(json.find((p) => p.name === 'hello')?.auto).toBeUndefined();
    // Asked for by name later, it is the admin's: no longer marked.
    expect((await bpkg(root, ['install', 'libgreet'])).code).toBe(0);
    expect((await bpkg(root, ['list'])).stdout).not.toContain('dependency');
  });
});
