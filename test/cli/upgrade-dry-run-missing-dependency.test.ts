/**
 * An upgrade whose new version needs a package no repository offers. `bpkg upgrade --dry-run`
 * plans as the real upgrade does (d8ab4e62), so it stops where the upgrade would (apt -s stops on
 * unmet dependencies too): exit 3, nothing changed. Both said only 'No package ghost (needed by
 * app) in the verified indexes' with the hint of a mistyped name ('check the name with bpkg
 * search'): not which upgrade, nor what to do. Now the error names the upgrade and the package,
 * and the hint says how it may come (update, another repository) and how to upgrade the others
 * meanwhile, a command that works. `list --upgradable`, which plans nothing, still lists it.
 * The real executable.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('an upgrade needing a package no repository offers', () => {
  it('upgrade --dry-run fails as the upgrade does, naming the upgrade, the package and next steps', async () => {
    const { key, repo } = await signedRepo([
      { name: 'app', version: '1.0.0' },
      { name: 'good', version: '1.0.0' },
    ]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'app', 'good'])).code).toBe(0);
    await publishSources(repo, key, [
      { name: 'app', version: '1.0.0' },
      { name: 'app', version: '2.0.0', depends: ['ghost>=1.0.0'] },
      { name: 'good', version: '1.0.0' },
      { name: 'good', version: '1.1.0' },
    ]);
    expect((await bpkg(root, ['update'])).code).toBe(0);

    const dry = await bpkg(root, ['upgrade', '--dry-run']);
    expect(dry.code, dry.stdout).toBe(3);
    expect(dry.stderr).toContain(
      'error: Cannot upgrade app 1.0.0 -> 2.0.0: app 2.0.0 needs ghost, which no configured repository offers',
    );
    expect(dry.stderr).toContain(`\`bpkg --root ${root} update\``);
    expect(dry.stderr).toContain(`\`bpkg --root ${root} install good@1.1.0\``);
    const json = JSON.parse((await bpkg(root, ['--json', 'upgrade', '--dry-run'])).stdout);
    expect(json.error).toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('app 1.0.0 -> 2.0.0'),
    });

    // The real upgrade stops with the same error, and nothing changes.
    const up = await bpkg(root, ['--yes', 'upgrade']);
    expect(up.code).toBe(3);
    expect(up.stderr).toBe(dry.stderr);
    const list = await bpkg(root, ['list', '--upgradable']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/app\s+1\.0\.0 -> 2\.0\.0\s+\(main\)\s+new dependency: ghost/);
    const versions = async () =>
      (
        JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as Array<{ name: string; version: string }>
      ).map((p) => `${p.name} ${p.version}`);
    expect(await versions()).toEqual(['app 1.0.0', 'good 1.0.0']);

    // The hint's command upgrades the other one.
    expect((await bpkg(root, ['--yes', 'install', 'good@1.1.0'])).code).toBe(0);
    expect(await versions()).toEqual(['app 1.0.0', 'good 1.1.0']);
  });
});
