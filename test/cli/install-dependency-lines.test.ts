/**
 * What bpkg install says of each package it installs. `bpkg install hello` said 'installed libgreet
 * 1.0.0 from main' as if libgreet had been asked for: nothing said it came in as a dependency of
 * hello (apt: "The following additional packages will be installed", "automatically installed").
 * Now its line, the plan shown before the yes and --json (dependencyOf) name the packages that
 * need it. A package file said 'installed hello 1.0.0 from file': now 'from the package file PATH'
 * (--json: file). bpkg info of such a package said nothing of it either (--json had auto): now
 * 'Installed as: a dependency'; and `bpkg install libgreet` then, which makes it the admin's, said
 * only 'Nothing to do': it now says so (test/cli/install-keeps-dependency.test.ts). The real executable, and the plan's lines (src/present/install.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planLines } from '../../src/present/install.js';
import { bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

const SPECS = [
  { name: 'libgreet', version: '1.0.0' },
  { name: 'hello', version: '1.0.0', depends: ['libgreet>=1.0.0'] },
];

describe('bpkg install names the dependencies it brings in', () => {
  it('the result lines and --json say whose dependency each one is', async () => {
    const { key, repo } = await signedRepo(SPECS);
    const root = await trustingRoot(key, repo);
    const r = await bpkg(root, ['--yes', 'install', 'hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('installed libgreet 1.0.0 from main (a dependency of hello)');
    expect(r.stdout).toMatch(/^installed hello 1\.0\.0 from main$/m);
    // Later, info says it too (apt show's APT-Manual-Installed: no); not of what was asked for.
    const lib = await bpkg(root, ['info', 'libgreet']);
    expect(lib.stdout).toContain(
      `Installed as: a dependency (\`bpkg --root ${root} autoremove\` removes it once nothing installed needs it)`,
    );
    expect((await bpkg(root, ['info', 'hello'])).stdout).not.toContain('Installed as');
    // Asked for by name now: it is the admin's from then on, and that is said (apt: "libgreet set
    // to manually installed."), not only 'Nothing to do'.
    const named = await bpkg(root, ['install', 'libgreet']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain(
      'libgreet 1.0.0 is installed already; marked as installed by you: autoremove keeps it',
    );
    expect((await bpkg(root, ['info', 'libgreet'])).stdout).not.toContain('Installed as');
    expect((await bpkg(root, ['install', 'libgreet'])).stdout).not.toContain('marked as installed by you');

    const other = await trustingRoot(key, repo);
    const json = await bpkg(other, ['--json', '--yes', 'install', 'hello']);
    const changes = JSON.parse(json.stdout).changes as Array<Record<string, unknown>>;
    expect(changes.find((c) => c.name === 'libgreet')).toMatchObject({ dependencyOf: ['hello'] });
    expect(changes.find((c) => c.name === 'hello')).not.toHaveProperty('dependencyOf');
  });

  it('a package file is named as one, with its path', async () => {
    const { key, repo } = await signedRepo([{ name: 'tiny', version: '1.0.0' }]);
    const root = tempDir('bp-root-');
    await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    const file = path.join(repo, 'pool/tiny/tiny_1.0.0_all.bpkg');
    const r = await bpkg(root, ['install', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`installed tiny 1.0.0 from the package file ${file}`);
    const again = await bpkg(root, ['--json', 'install', file, '--reinstall']);
    expect(JSON.parse(again.stdout).changes[0]).toMatchObject({ repo: 'file', file });
  });

  it('the plan before the yes marks a dependency', () => {
    const text = planLines([
      { name: 'hello', to: '1.0.0', repo: 'main', size: 2048 },
      { name: 'libgreet', to: '1.0.0', repo: 'main', size: 1024, dependencyOf: ['hello'] },
    ]).join('\n');
    expect(text).toMatch(/^libgreet .*main .*\(a dependency of hello\)$/m);
    expect(text).toMatch(/^hello .*main .*KiB$/m);
  });
});
