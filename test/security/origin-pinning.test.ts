// Issue 11, finding 5: `upgrade` took the newest version from any repository, so a third-party
// repository could replace an official package. A package is now upgraded only from the repository
// it came from (its `origin`), unless the admin switches it with `install NAME --from REPO`.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { buildRepository, PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

let official: TestKey;
let third: TestKey;
beforeAll(async () => {
  const dir = tempDir();
  [official, third] = await Promise.all([
    makeKey(path.join(dir, 'o'), { name: 'Official' }),
    makeKey(path.join(dir, 't'), { name: 'Third party' }),
  ]);
});

type Pkg = { name: string; version: string; depends?: string[] };

async function publish(repoDir: string, name: string, key: TestKey, pkgs: Pkg[]) {
  const src = tempDir('bp-src-');
  return buildRepository({
    sources: pkgs.map((p) => makeSource(src, p)),
    repoDir,
    name,
    signer: { keyFile: key.privateFile },
  });
}

/** A box trusting both publishers, each key bound to its own repository. */
async function box(officialPkgs: Pkg[], thirdPkgs: Pkg[]) {
  const base = tempDir();
  const o = path.join(base, 'official');
  const t = path.join(base, 'third');
  await publish(o, 'official', official, officialPkgs);
  await publish(t, 'third', third, thirdPkgs);
  const root = tempDir('bp-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(official.publicKey, official.fingerprint);
  await pm.keyring.add(third.publicKey, third.fingerprint);
  await pm.repos.add('official', o, { keys: [official.fingerprint] });
  await pm.repos.add('third', t, { keys: [third.fingerprint] });
  return { root, o, t, pm };
}

const versions = async (pm: PackageManager) =>
  Object.fromEntries((await pm.installed()).map((p) => [p.name, `${p.version}@${p.origin}`]));

describe('finding 5: packages stay with the repository they came from', () => {
  it('upgrade keeps foo with official; install --from third switches it', async () => {
    const { root, o, t, pm } = await box([{ name: 'foo', version: '1.0.0' }], []);
    await pm.update();
    await pm.install(['foo']);
    expect(await versions(pm)).toEqual({ foo: '1.0.0@official' });
    // The third-party repository now offers a much newer foo.
    await publish(t, 'third', third, [{ name: 'foo', version: '9.0.0' }]);
    expect((await pm.update()).every((u) => u.ok)).toBe(true);
    expect(await pm.upgradable()).toEqual([]);
    expect(await pm.upgrade()).toEqual([]);
    expect(await versions(pm)).toEqual({ foo: '1.0.0@official' });
    // `install foo` of an installed package also stays with its origin.
    expect(await pm.install(['foo'])).toEqual([]);
    // Official's own newer version is taken.
    await publish(o, 'official', official, [{ name: 'foo', version: '1.1.0' }]);
    await pm.update();
    expect(await pm.upgradable()).toEqual([{ name: 'foo', from: '1.0.0', to: '1.1.0', repo: 'official' }]);
    await pm.upgrade();
    expect(await versions(pm)).toEqual({ foo: '1.1.0@official' });
    expect((await new PackageManager({ root }).installed())[0]?.signer).toBe(official.fingerprint);
    // The admin switches explicitly.
    const changes = await pm.install(['foo'], { from: 'third' });
    expect(changes).toMatchObject([{ name: 'foo', from: '1.1.0', to: '9.0.0', repo: 'third' }]);
    expect(await versions(pm)).toEqual({ foo: '9.0.0@third' });
    expect((await pm.installed())[0]?.signer).toBe(third.fingerprint);
  });

  it('a version only the other repository has is refused without --from, with a hint', async () => {
    const { pm } = await box([{ name: 'foo', version: '1.0.0' }], [{ name: 'foo', version: '9.0.0' }]);
    await pm.update();
    await pm.install(['foo'], { from: 'official' });
    const err = await pm.install(['foo@9.0.0']).then(
      () => undefined,
      (e: unknown) => e as BlueprintError,
    );
    expect(err).toBeInstanceOf(BlueprintError);
    expect(err?.code).toBe('origin-pinned');
    // In backticks: the CLI gives a command there the --root typed (src/present/root-in-hints.ts).
    expect(err?.hint).toContain('`bpkg install foo --from third`');
    expect(await versions(pm)).toEqual({ foo: '1.0.0@official' });
  });

  it('--from names a repository that exists and offers the package', async () => {
    const { pm } = await box([{ name: 'foo', version: '1.0.0' }], []);
    await pm.update();
    await expect(pm.install(['foo'], { from: 'nowhere' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(pm.install(['foo'], { from: 'third' })).rejects.toBeInstanceOf(BlueprintError);
    expect(await pm.installed()).toEqual([]);
  });

  it('a record with no origin (older database) upgrades from the repository offering its exact version', async () => {
    const { root, o, t, pm } = await box([{ name: 'foo', version: '1.0.0' }], []);
    await pm.update();
    await pm.install(['foo']);
    const dbFile = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    const db = JSON.parse(readFileSync(dbFile, 'utf8'));
    delete db.packages.foo.origin;
    writeFileSync(dbFile, JSON.stringify(db));
    await publish(t, 'third', third, [{ name: 'foo', version: '9.0.0' }]);
    await publish(o, 'official', official, [{ name: 'foo', version: '1.1.0' }]);
    await pm.update();
    expect((await pm.installed())[0]?.origin).toBe('official');
    expect(await pm.upgradable()).toEqual([{ name: 'foo', from: '1.0.0', to: '1.1.0', repo: 'official' }]);
    await pm.upgrade();
    expect(await versions(pm)).toEqual({ foo: '1.1.0@official' });
  });

  it('a record with no origin that two repositories could have given is not upgraded until --from says', async () => {
    const { root, o, t, pm } = await box(
      [{ name: 'foo', version: '1.0.0' }],
      [{ name: 'foo', version: '1.0.0' }],
    );
    await pm.update();
    await pm.install(['foo'], { from: 'official' });
    const dbFile = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    const db = JSON.parse(readFileSync(dbFile, 'utf8'));
    delete db.packages.foo.origin;
    db.packages.foo.signer = 'f'.repeat(40); // a key neither repository is bound to
    writeFileSync(dbFile, JSON.stringify(db));
    await publish(t, 'third', third, [{ name: 'foo', version: '9.0.0' }]);
    await publish(o, 'official', official, [{ name: 'foo', version: '1.1.0' }]);
    const warnings: string[] = [];
    const warned = new PackageManager({ root, warn: (l) => warnings.push(l) });
    await warned.update();
    expect(await warned.upgradable()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/foo: .*unknown; choose: `bpkg install foo --from REPO`/);
    await expect(warned.install(['foo'])).rejects.toMatchObject({ code: 'origin-pinned' });
    await warned.install(['foo'], { from: 'official' });
    expect(await versions(warned)).toEqual({ foo: '1.1.0@official' });
  });

  it('a new dependency comes from the repository of the package that needs it', async () => {
    const { pm } = await box(
      [
        { name: 'app', version: '1.0.0', depends: ['lib>=1.0.0'] },
        { name: 'lib', version: '1.0.0' },
      ],
      [{ name: 'lib', version: '5.0.0' }],
    );
    await pm.update();
    await pm.install(['app']);
    expect(await versions(pm)).toEqual({ app: '1.0.0@official', lib: '1.0.0@official' });
    expect(await pm.upgradable()).toEqual([]);
  });

  it('info tells where an installed package upgrades from', async () => {
    const { pm, t } = await box([{ name: 'foo', version: '1.0.0' }], []);
    await pm.update();
    await pm.install(['foo']);
    await publish(t, 'third', third, [{ name: 'foo', version: '9.0.0' }]);
    await pm.update();
    const info = await pm.info('foo');
    expect(info.installed).toMatchObject({ version: '1.0.0', origin: 'official' });
    expect(info.upgradesFrom).toBe('official');
    expect(info.available.map((a) => `${a.version}@${a.repo}`)).toEqual(['9.0.0@third', '1.0.0@official']);
  });
});

describe('finding 5: the bpkg commands', () => {
  it('install --from switches the origin; list and info show it; upgrade stays with it', async () => {
    const { bpkg } = await import('../helpers/pkg.js');
    const { root, t } = await box([{ name: 'foo', version: '1.0.0' }], []);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    expect((await bpkg(root, ['--yes', 'install', 'foo'])).code).toBe(0);
    await publish(t, 'third', third, [{ name: 'foo', version: '9.0.0' }]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const up = await bpkg(root, ['--yes', 'upgrade']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Everything is up to date/);
    expect((await bpkg(root, ['list'])).stdout).toMatch(/foo\s+1\.0\.0\s+official/);
    expect((await bpkg(root, ['info', 'foo'])).stdout).toMatch(/Upgrades from: official/);
    const refused = await bpkg(root, ['--yes', 'install', 'foo@9.0.0']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/--from third/);
    const sw = await bpkg(root, ['--yes', 'install', 'foo', '--from', 'third']);
    expect(sw.code, sw.stderr).toBe(0);
    expect(sw.stdout).toMatch(/installed foo 9\.0\.0 from third \(was 1\.0\.0\)/);
    expect((await bpkg(root, ['list'])).stdout).toMatch(/foo\s+9\.0\.0\s+third/);
    expect((await bpkg(root, ['info', 'foo'])).stdout).toMatch(/Upgrades from: third/);
  });
});
