import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkgBox, installedNames } from '../helpers/bpkg-box.js';
import { bpkg, lists, publishSources, signedRepo, type TestKey } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';

/**
 * `bpkg install --dry-run NAME...` (apt-get install --simulate): there was no way to see what an
 * install would do without the question of a terminal; a script (--yes, --json) could only install.
 * Now the plan (versions, repository, new dependencies, download size) is printed and nothing on
 * the box changes: no lock file, no cache, no download. Refusals exit as the install would.
 * `bpkg remove --dry-run` alike: what would go, or the dependents that block it (exit 5).
 */
let key: TestKey;
let repo: string;

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'base', version: '1.0.0' },
    { name: 'app', version: '1.0.0', depends: ['base>=1.0.0'] },
    { name: 'good', version: '1.0.0' },
  ]));
});

const freshRoot = () => bpkgBox('bp-dry-', key, repo);

describe('bpkg install --dry-run', () => {
  it('prints the plan (new dependency, upgrade, sizes, repository) and changes nothing', async () => {
    const root = await freshRoot();
    expect((await bpkg(root, ['install', 'good', '--yes'])).code).toBe(0);
    await publishSources(repo, key, [{ name: 'good', version: '1.1.0' }]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    // The caches a read makes again when they are missing (the sealed index cache, its head and
    // search table, the keyring cache): a dry run reads the signed index and writes none of them.
    for (const f of ['main/verified.json', 'main/head.json', 'main/search.tsv', 'keyring.json'])
      rmSync(lists(root, f));
    const before = treeHash(root);

    const r = await bpkg(root, ['install', '--dry-run', 'app', 'good']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^app\s+1\.0\.0\s+main\s+\S+ (B|KiB)/m);
    expect(r.stdout).toMatch(/^base\s+1\.0\.0\s+main\s+.*\(a dependency of app\)/m);
    expect(r.stdout).toMatch(/^good\s+1\.0\.0 -> 1\.1\.0\s+main/m);
    expect(r.stdout).toMatch(
      /Would install 2 packages? and upgrade 1 \(download \S+ (B|KiB|MiB)\); nothing was changed/,
    );

    const simulated = await bpkg(root, ['install', '-s', 'app']);
    expect(simulated.code, simulated.stderr).toBe(0);
    expect(simulated.stdout).toContain('nothing was changed');

    const json = await bpkg(root, ['--json', 'install', '--dry-run', 'app', 'good']);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.downloadSize).toBeGreaterThan(0);
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'app', to: '1.0.0', repo: 'main', repository: 'main' }),
        expect.objectContaining({ name: 'base', to: '1.0.0', dependencyOf: ['app'] }),
        expect.objectContaining({ name: 'good', from: '1.0.0', to: '1.1.0' }),
      ]),
    );
    expect(plan.changes).toHaveLength(3);

    // Nothing to do: said as the install says it.
    const same = await bpkg(root, ['install', '--dry-run', 'good@1.0.0']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('Nothing to do: good 1.0.0 is already installed.');

    // A package no repository has: exit 3, as the install.
    const missing = await bpkg(root, ['install', '--dry-run', 'nosuch']);
    expect(missing.code, missing.stderr).toBe(3);

    // The upgrade's dry run takes apt-get's names too.
    for (const flag of ['-s', '--simulate']) {
      const up = await bpkg(root, ['upgrade', flag]);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/good\s+1\.0\.0 -> 1\.1\.0/);
    }

    expect(treeHash(root)).toEqual(before);
    expect(await installedNames(root)).toEqual(['good']);
  });

  it('refused as the install is when no trusted key signed a package (its signature alone is read)', async () => {
    const root = await freshRoot();
    const signed = await bpkg(root, ['install', '--dry-run', 'good']);
    expect(signed.stdout).toMatch(/Signed by trusted key [0-9A-F ]{40,}/);
    expect(JSON.parse((await bpkg(root, ['--json', 'install', '-s', 'good'])).stdout).changes[0].signer).toBe(
      key.fingerprint.toLowerCase(),
    );
    // The key removed after the index was fetched: the kept index still lists good, the package is refused.
    expect((await bpkg(root, ['key', 'remove', key.fingerprint, '--yes'])).code).toBe(0);
    const before = treeHash(root);
    const dry = await bpkg(root, ['install', '--dry-run', 'good']);
    expect(treeHash(root)).toEqual(before);
    const real = await bpkg(root, ['install', '--yes', 'good']);
    expect(real.code).toBe(4);
    expect(dry.code, dry.stdout).toBe(4);
    const said = (e: string) => e.split('\n').find((l) => l.startsWith('error:'));
    expect(said(dry.stderr)).toBe(said(real.stderr));
    expect(dry.stderr).toContain('signed by an untrusted key');
    expect(await installedNames(root)).toEqual([]);
  });

  it('a package file given: its plan, nothing to download, nothing installed', async () => {
    const root = await freshRoot();
    const file = (readdirSync(repo, { recursive: true }) as string[]).find((f) =>
      /^(.*\/)?base_1\.0\.0_.*\.bpkg$/.test(f),
    );
    const r = await bpkg(root, ['install', '--dry-run', path.join(repo, file!)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^base\s+1\.0\.0\s+file/m);
    expect(r.stdout).toContain('Would install 1 package (nothing to download); nothing was changed');
    expect(await installedNames(root)).toEqual([]);
  });

  it('remove --dry-run names what would go, or the dependents that block it (exit 5); nothing changes', async () => {
    const root = await freshRoot();
    expect((await bpkg(root, ['install', 'app', 'good', '--yes'])).code).toBe(0);
    const before = treeHash(root);

    const r = await bpkg(root, ['remove', '--dry-run', 'good']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Would remove good 1\.\d\.0; nothing was changed/);
    const json = JSON.parse((await bpkg(root, ['--json', 'remove', '--dry-run', 'app', 'gone'])).stdout);
    expect(json).toMatchObject({
      dryRun: true,
      changes: [{ name: 'app', from: '1.0.0' }],
      notInstalled: ['gone'],
      unneeded: ['base'],
    });

    const blocked = await bpkg(root, ['remove', '--dry-run', 'base']);
    expect(blocked.code).toBe(5);
    expect(blocked.stderr).toContain('base is needed by app');

    expect(treeHash(root)).toEqual(before);
    expect(await installedNames(root)).toEqual(['app', 'base', 'good']);
  });
});
