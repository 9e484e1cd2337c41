/**
 * Seeing what an upgrade would do before doing it, as `apt list --upgradable` and `apt upgrade`'s
 * question let an apt user: `bpkg upgrade --dry-run` and `bpkg list --upgradable` were unknown
 * options (exit 2), so the only way to find out was to upgrade. Both now list NAME FROM -> TO
 * (REPO) and change nothing; --json gives the list.
 */
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { GOOD, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('what an upgrade would do', () => {
  it('upgrade --dry-run and list --upgradable list it, and nothing changes', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    expect((await runCliHere(['--root', root, '--yes', 'pkg', 'install', 'good'])).code).toBe(0);
    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);
    expect((await runCliHere(['--root', root, 'pkg', 'update'])).code).toBe(0);

    for (const args of [
      ['pkg', 'upgrade', '--dry-run'],
      ['pkg', 'list', '--upgradable'],
    ]) {
      const r = await runCliHere(['--root', root, ...args]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/good\s+1\.0\.0 -> 1\.1\.0\s+\(main\)/);
      const json = await runCliHere(['--root', root, '--json', ...args]);
      expect(JSON.parse(json.out)).toMatchObject({
        upgradable: [{ name: 'good', from: '1.0.0', to: '1.1.0', repo: 'main' }],
      });
    }
    const list = await runCliHere(['--root', root, '--json', 'pkg', 'list']);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ name: 'good', version: '1.0.0' })]);

    const up = await runCliHere(['--root', root, 'pkg', 'upgrade']);
    expect(up.out).toContain('upgraded good 1.0.0 -> 1.1.0');
    const none = await runCliHere(['--root', root, 'pkg', 'upgrade', '--dry-run']);
    expect(none.out).toContain('Everything is up to date as of the indexes last fetched');
  });
});
