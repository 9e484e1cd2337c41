/**
 * bpkg's --json lists named the same things differently: `search` gave `installed` as a version and
 * `repo` for the repository, `list` gave `installed` as a time and `origin` for the repository,
 * `info` and `list --upgradable` `repo` again. Scripts depend on those fields, so they stay; each
 * list now also carries the same names for the same things (docs/pkg-json.md): `repository`,
 * `installedVersion` (when installed) and, for an installed record, `installedAt`. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg --json field names', () => {
  it('search, list, info and list --upgradable name the repository and installed version alike', async () => {
    const { key, repo } = await signedRepo([
      GOOD,
      { ...GOOD, version: '1.1.0' },
      { name: 'other', version: '2.0.0', summary: 'the genuine other' },
    ]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'good@1.0.0'])).code).toBe(0);
    const json = async (...args: string[]) => {
      const r = await bpkg(root, ['--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };

    // The quick path (one word) and the package manager's (no word) answer alike.
    for (const args of [['search', 'genuine'], ['search']]) {
      const hits = await json(...args);
      const good = hits.find((h: { name: string }) => h.name === 'good');
      const other = hits.find((h: { name: string }) => h.name === 'other');
      expect(good).toMatchObject({ version: '1.1.0', repo: 'main', installed: '1.0.0' });
      expect(good).toMatchObject({ repository: 'main', installedVersion: '1.0.0' });
      expect(other).toMatchObject({ repo: 'main', repository: 'main' });
      expect(other.installedVersion).toBeUndefined();
    }

    const [listed] = await json('list');
    expect(listed).toMatchObject({ name: 'good', version: '1.0.0', origin: 'main' });
    expect(typeof listed.installed).toBe('string');
    expect(listed).toMatchObject({
      installedVersion: '1.0.0',
      installedAt: listed.installed,
      repository: 'main',
    });
    expect(Number.isNaN(Date.parse(listed.installedAt))).toBe(false);

    const info = await json('info', 'good');
    expect(info).toMatchObject({ installedVersion: '1.0.0', installedAt: listed.installed });
    expect(info.installed).toMatchObject({ version: '1.0.0', origin: 'main', repository: 'main' });
    expect(info.installed.installedAt).toBe(listed.installed);
    expect(info.available.map((a: { repo: string; repository: string }) => [a.repo, a.repository])).toEqual([
      ['main', 'main'],
      ['main', 'main'],
    ]);
    const notInstalled = await json('info', 'other');
    expect(notInstalled.installedVersion).toBeUndefined();

    const { upgradable } = await json('list', '--upgradable');
    expect(upgradable).toEqual([
      {
        name: 'good',
        from: '1.0.0',
        to: '1.1.0',
        repo: 'main',
        repository: 'main',
        installedVersion: '1.0.0',
      },
    ]);
  });
});
