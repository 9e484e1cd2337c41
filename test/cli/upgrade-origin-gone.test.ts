/**
 * `bpkg repo remove main` with packages installed from main said only 'removed repository main',
 * and `bpkg upgrade` then said 'Everything is up to date.' whatever main now offered: a package
 * whose repository is gone is never upgraded, and nothing said so. Now repo remove names the
 * packages that came from it and what keeps them upgrading, and upgrade (and its --dry-run) warns
 * of each package it cannot upgrade because its repository is not configured, and info says it of
 * the package. The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('packages whose repository was removed', () => {
  it('repo remove names them; upgrade says they are not upgraded and why', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'good'])).code).toBe(0);
    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);

    const rm = await bpkg(root, ['repo', 'remove', 'main']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('removed repository main');
    expect(rm.stderr).toContain('good (installed from main) stays installed but is not upgraded');
    expect(rm.stderr).toMatch(/bpkg (--root \S+ )?repo add main URL/);

    for (const args of [['upgrade'], ['upgrade', '--dry-run']]) {
      const up = await bpkg(root, args);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain('good: its repository main is not configured: not upgraded');
      // Once, however many times the command looks at the upgrades.
      expect(up.stderr.split('its repository main is not configured').length - 1).toBe(1);
    }
    const info = await bpkg(root, ['info', 'good']);
    expect(info.stdout).toContain('Upgrades from: main (not configured: not upgraded;');

    // A repository still there: nothing said.
    const other = await trustingRoot(key, repo);
    expect((await bpkg(other, ['--yes', 'install', 'good'])).code).toBe(0);
    expect((await bpkg(other, ['upgrade', '--dry-run'])).stderr).not.toContain('not configured');
  });
});
