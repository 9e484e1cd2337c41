/**
 * Issue 11, finding 8 (first point): symlinks inside `--root` must not carry the package manager's
 * writes out of the root. `ROOT/opt/blueprint -> /elsewhere` made an install write to /elsewhere.
 * Every folder the manager writes is judged by where it really is (the kernel's realpath), so a
 * link that stays inside the root is fine and one that leaves it is refused before any write.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { buildPackage, signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

let key: TestKey;
let pkgFile: string;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  const base = tempDir();
  const src = makeSource(base, { name: 'tool', version: '1.0.0', files: { 'share/README': 'tool\n' } });
  pkgFile = (await buildPackage(src, path.join(base, 'out'))).file;
  await signFile(pkgFile, { keyFile: key.privateFile });
});

/** A root that trusts the test key, with `rel` made a symlink to `target` before anything else. */
async function rootWithLink(rel: string, target: string): Promise<{ root: string; pm: PackageManager }> {
  const root = tempDir('bp-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  symlinkSync(target, path.join(root, rel));
  return { root, pm };
}

async function expectRefusedUntouched(p: Promise<unknown>, outside: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the operation should have been refused').toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe('link-outside-root');
  expect((err as BlueprintError).hint).toMatch(/real folder/);
  expect(readdirSync(outside), 'nothing may be written outside the root').toEqual([]);
}

describe('symlinks inside --root do not lead writes out of it (finding 8)', () => {
  for (const rel of [
    'opt/blueprint',
    'opt',
    'var/lib/blueprint',
    'var/lib/blueprint/pkg',
    'var/cache/blueprint',
    'var/cache/blueprint/packages',
  ])
    it(`ROOT/${rel} -> a folder outside the root: install is refused, nothing written there`, async () => {
      const outside = tempDir('bp-elsewhere-');
      const { pm } = await rootWithLink(rel, outside);
      await expectRefusedUntouched(pm.install([pkgFile]), outside);
    });

  it('a package folder ROOT/opt/blueprint/NAME -> outside is refused too', async () => {
    const outside = tempDir('bp-elsewhere-');
    const { pm } = await rootWithLink('opt/blueprint/tool', outside);
    await expectRefusedUntouched(pm.install([pkgFile]), outside);
  });

  it('a dangling link that would create its target outside is refused', async () => {
    const outside = tempDir('bp-elsewhere-');
    const { pm } = await rootWithLink('var/cache/blueprint', path.join(outside, 'made-later'));
    await expectRefusedUntouched(pm.install([pkgFile]), outside);
    expect(existsSync(path.join(outside, 'made-later'))).toBe(false);
  });

  it('a dry-run plan is refused as well (it reads the package into the cache)', async () => {
    const outside = tempDir('bp-elsewhere-');
    const { pm } = await rootWithLink('var/cache/blueprint', outside);
    await expectRefusedUntouched(pm.plan([pkgFile]), outside);
  });

  it('recovery of an interrupted transaction is refused rather than deleting outside', async () => {
    // An install cut off before its commit: recovery deletes the version it was staging.
    const outside = tempDir('bp-elsewhere-');
    mkdirSync(path.join(outside, 'tool/1.0.0'), { recursive: true });
    writeFileSync(path.join(outside, 'tool/1.0.0/precious'), "not the package manager's\n");
    const { root, pm } = await rootWithLink('opt/blueprint', outside);
    mkdirSync(path.join(root, 'var/lib/blueprint/pkg'), { recursive: true });
    writeFileSync(
      path.join(root, 'var/lib/blueprint/pkg/journal.json'),
      JSON.stringify({
        txid: 'cut-off',
        op: 'install',
        started: new Date().toISOString(),
        changes: [{ name: 'tool', to: '1.0.0' }],
      }),
    );
    const err = await pm.recover().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BlueprintError);
    expect((err as BlueprintError).code).toBe('link-outside-root');
    expect(existsSync(path.join(outside, 'tool/1.0.0/precious'))).toBe(true);
  });

  it('a link that stays inside the root is followed (ROOT/opt -> var/opt)', async () => {
    const { root, pm } = await rootWithLink('opt', 'var/opt');
    mkdirSync(path.join(root, 'var/opt'), { recursive: true });
    await pm.install([pkgFile]);
    expect(readFileSync(path.join(root, 'var/opt/blueprint/tool/current/share/README'), 'utf8')).toBe(
      'tool\n',
    );
    expect((await pm.verify('tool'))[0]?.ok).toBe(true);
  });
});
