/**
 * What an upgrade that brings in a new dependency would do, asked before doing it. `bpkg upgrade
 * --dry-run` and `bpkg list --upgradable` listed only 'app 1.0.0 -> 2.0.0 (main)': nothing said
 * that newlib, not installed, would be installed with it (apt upgrade -s: "The following NEW
 * packages will be installed"). Now the dry run names each new package in the words of the plan a
 * real `bpkg upgrade` asks about ('newlib 1.0.0 (new, from main) (a dependency of app)'; --json:
 * newPackages), and list --upgradable, which plans nothing, names on the row the new dependencies
 * the new version needs (--json: newDependencies) and points to the dry run. Nothing is installed.
 */
import { describe, expect, it } from 'vitest';
import { boxBeforeNewDependency } from '../helpers/new-dependency.js';
import { bpkg } from '../helpers/pkg.js';

describe('what an upgrade bringing in a new dependency would install', () => {
  it('upgrade --dry-run names it as the plan does, list --upgradable as a note', async () => {
    const root = await boxBeforeNewDependency();
    expect((await bpkg(root, ['update'])).code).toBe(0);

    const dry = await bpkg(root, ['upgrade', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/app\s+1\.0\.0 -> 2\.0\.0\s+\(main\)\s+new dependency: newlib/);
    expect(dry.stdout).toContain('The upgrade also installs 1 new package:');
    expect(dry.stdout).toContain('newlib 1.0.0 (new, from main) (a dependency of app)');
    const dryJson = JSON.parse((await bpkg(root, ['--json', 'upgrade', '--dry-run'])).stdout);
    expect(dryJson).toMatchObject({
      upgradable: [{ name: 'app', from: '1.0.0', to: '2.0.0', repo: 'main', newDependencies: ['newlib'] }],
      newPackages: [{ name: 'newlib', to: '1.0.0', repo: 'main', repository: 'main', dependencyOf: ['app'] }],
    });
    expect(dryJson.newPackages[0].from).toBeUndefined();

    const list = await bpkg(root, ['list', '--upgradable']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/app\s+1\.0\.0 -> 2\.0\.0\s+\(main\)\s+new dependency: newlib/);
    expect(list.stdout).toContain(`\`bpkg --root ${root} upgrade --dry-run\` names every package`);
    const listJson = JSON.parse((await bpkg(root, ['--json', 'list', '--upgradable'])).stdout);
    expect(listJson.upgradable[0].newDependencies).toEqual(['newlib']);
    expect(listJson.newPackages).toBeUndefined();

    // Nothing was installed by either.
    const installed = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as Array<{ name: string }>;
    expect(installed.map((p) => p.name)).toEqual(['app']);
  });
});
