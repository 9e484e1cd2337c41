/**
 * An upgrade keeps how each package came to the box. `bpkg upgrade` installed each upgrade by
 * name, so a package that had come as a dependency became the admin's own: `bpkg list` stopped
 * saying "dependency" and `bpkg autoremove` never removed it once nothing needed it (apt's upgrade
 * keeps the automatic mark). A package asked for by name stays the admin's, as before.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

const listed = async (root: string) =>
  Object.fromEntries(
    (
      JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as Array<{
        name: string;
        version: string;
        auto?: boolean;
      }>
    ).map((p) => [p.name, { version: p.version, auto: p.auto === true }]),
  );

describe('bpkg upgrade and the dependency mark', () => {
  it('an upgraded dependency stays one, and autoremove removes it once nothing needs it', async () => {
    const { key, repo } = await signedRepo([
      { name: 'lib', version: '1.0.0' },
      { name: 'app', version: '1.0.0', depends: ['lib>=1.0.0'] },
    ]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'app'])).code).toBe(0);
    expect(await listed(root)).toEqual({
      app: { version: '1.0.0', auto: false },
      lib: { version: '1.0.0', auto: true },
    });
    await publishSources(repo, key, [
      { name: 'lib', version: '2.0.0' },
      { name: 'app', version: '1.1.0', depends: ['lib>=1.0.0'] },
    ]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const up = await bpkg(root, ['--yes', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(await listed(root)).toEqual({
      app: { version: '1.1.0', auto: false },
      lib: { version: '2.0.0', auto: true },
    });
    expect((await bpkg(root, ['list'])).stdout).toMatch(/lib\s+2\.0\.0.*dependency/);

    expect((await bpkg(root, ['--yes', 'remove', 'app'])).code).toBe(0);
    const auto = await bpkg(root, ['--yes', 'autoremove']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toContain('removed lib 2.0.0');
    expect(await listed(root)).toEqual({});
  });
});
