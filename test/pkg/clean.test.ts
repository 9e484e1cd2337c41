/**
 * `bpkg clean` (like `apt clean`): the package cache's archives (kept by `bpkg bundle` and by
 * installs whose signature needs the whole file) and partial downloads left by a killed process
 * are removed; installed packages, copies in use, links and anything the cache does not make stay.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { layout } from '../../src/core/system/paths.js';
import { APP_WITH_LIB, bpkg, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;

beforeAll(async () => {
  ({ key, repo } = await signedRepo(APP_WITH_LIB));
});

/** A root with `app` installed and both archives left in its cache by a bundle. */
async function boxWithCache(): Promise<{ root: string; cache: string }> {
  const root = await trustingRoot(key, repo);
  const pm = new PackageManager({ root });
  await pm.install(['app']);
  await pm.bundle(['app'], path.join(tempDir(), 'stick'));
  const cache = layout(root).pkgCache;
  expect(readdirSync(cache).sort()).toEqual(['app_1.0.0_all.bpkg', 'base-lib_1.0.0_all.bpkg']);
  return { root, cache };
}

describe('PackageManager.clean', () => {
  it('removes the cached archives and stale partial downloads, and reports the bytes freed', async () => {
    const { root, cache } = await boxWithCache();
    writeFileSync(path.join(cache, 'app_2.0.0_all.bpkg.part'), Buffer.alloc(1000));
    const sizes = ['app_1.0.0_all.bpkg', 'base-lib_1.0.0_all.bpkg'].map(
      (f) => readFileSync(path.join(cache, f)).length,
    );
    const pm = new PackageManager({ root });
    const r = await pm.clean();
    expect(r.removed.map((x) => x.name).sort()).toEqual([
      'app_1.0.0_all.bpkg',
      'app_2.0.0_all.bpkg.part',
      'base-lib_1.0.0_all.bpkg',
    ]);
    expect(r.bytes).toBe(sizes[0]! + sizes[1]! + 1000);
    expect(readdirSync(cache)).toEqual([]);
    // The installed packages are untouched and still verify.
    expect((await pm.verify()).every((v) => v.ok)).toBe(true);
    expect((await pm.clean()).removed).toEqual([]);
  });

  it('leaves links, folders, unknown files and a live process private copy alone', async () => {
    const { root, cache } = await boxWithCache();
    const outside = path.join(tempDir(), 'precious.bpkg');
    writeFileSync(outside, 'not the cache');
    symlinkSync(outside, path.join(cache, 'evil_1.0.0_all.bpkg'));
    mkdirSync(path.join(cache, 'folder_1.0.0_all.bpkg'));
    writeFileSync(path.join(cache, 'notes.txt'), 'admin');
    const live = `.local-${process.pid}-${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.bpkg`;
    const dead = `.local-999999999-${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.bpkg`;
    writeFileSync(path.join(cache, live), 'in use');
    writeFileSync(path.join(cache, dead), 'left by a killed install');
    await new PackageManager({ root }).clean();
    expect(readdirSync(cache).sort()).toEqual(
      [live, 'evil_1.0.0_all.bpkg', 'folder_1.0.0_all.bpkg', 'notes.txt'].sort(),
    );
    expect(readFileSync(outside, 'utf8')).toBe('not the cache');
  });

  it('refuses a cache folder that leads out of the root, removing nothing', async () => {
    const root = await trustingRoot(key, repo);
    const elsewhere = tempDir();
    writeFileSync(path.join(elsewhere, 'app_1.0.0_all.bpkg'), 'someone else');
    mkdirSync(path.dirname(layout(root).pkgCache), { recursive: true });
    symlinkSync(elsewhere, layout(root).pkgCache);
    await expect(new PackageManager({ root }).clean()).rejects.toMatchObject({ code: 'link-outside-root' });
    expect(existsSync(path.join(elsewhere, 'app_1.0.0_all.bpkg'))).toBe(true);
  });
});

describe('bpkg clean (the built executable)', () => {
  it('--help describes it, --json reports what was removed, exit 0', async () => {
    const { root } = await boxWithCache();
    const help = await bpkg(root, ['clean', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/bpkg clean/);
    expect(help.stdout).toMatch(/never/i);
    const out = await bpkg(root, ['--json', 'clean']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json.removed.map((x: { name: string }) => x.name).sort()).toEqual([
      'app_1.0.0_all.bpkg',
      'base-lib_1.0.0_all.bpkg',
    ]);
    expect(json.bytes).toBeGreaterThan(0);
    const again = await bpkg(root, ['clean']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to remove/i);
    expect((await bpkg(root, ['verify'])).code).toBe(0);
  });

  it('takes no arguments (usage error, exit 2)', async () => {
    const { root } = await boxWithCache();
    const r = await bpkg(root, ['clean', 'app']);
    expect(r.code).toBe(2);
  });
});
