/**
 * `bpkg clean` (like `apt clean`): the package cache's archives (kept by `bpkg bundle` and by
 * installs whose signature needs the whole file) and partial downloads left by a killed process
 * are removed; installed packages, copies in use, links and anything the cache does not make stay.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { layout } from '../../src/core/system/paths.js';
import {
  APP_WITH_LIB,
  bpkg,
  filesSnapshot,
  signedRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

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

  it('with dryRun lists what a real run then removes, with the same bytes, and removes nothing', async () => {
    const { root, cache } = await boxWithCache();
    writeFileSync(path.join(cache, 'app_2.0.0_all.bpkg.part'), Buffer.alloc(1000));
    writeFileSync(path.join(cache, 'notes.txt'), 'admin');
    const before = filesSnapshot(cache);
    const pm = new PackageManager({ root });
    const dry = await pm.clean({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(filesSnapshot(cache)).toEqual(before);
    expect(dry.removed.map((x) => x.name)).toEqual([
      'app_1.0.0_all.bpkg',
      'app_2.0.0_all.bpkg.part',
      'base-lib_1.0.0_all.bpkg',
    ]);
    expect(dry.bytes).toBe(dry.removed.reduce((n, x) => n + x.bytes, 0));
    expect(dry.removed.find((x) => x.name === 'app_2.0.0_all.bpkg.part')?.bytes).toBe(1000);
    const real = await pm.clean();
    expect(real.dryRun).toBeUndefined();
    expect(real.removed).toEqual(dry.removed);
    expect(real.bytes).toBe(dry.bytes);
    expect(readdirSync(cache)).toEqual(['notes.txt']);
  });

  it('leaves links, folders, unknown files and a live process private copy alone', async () => {
    const { root, cache } = await boxWithCache();
    const outside = path.join(tempDir(), 'precious.bpkg');
    writeFileSync(outside, 'not the cache');
    symlinkSync(outside, path.join(cache, 'evil_1.0.0_all.bpkg'));
    mkdirSync(path.join(cache, 'folder_1.0.0_all.bpkg'));
    writeFileSync(path.join(cache, 'notes.txt'), 'admin');
    // Another live process's (the test runner's parent): one of this process's own pid that it is
    // not using is an earlier process's, removed (test/security/private-copy-pid-reused).
    const live = `.local-${process.ppid}-${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.bpkg`;
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

  // A link planted at the cache folder itself that stays inside the root passes the root check
  // (links inside the root are followed); clean must still never empty the folder it points to.
  for (const target of ['absolute', 'relative'] as const)
    it(`refuses a cache folder that is a link to another folder inside the root (${target}), removing nothing`, async () => {
      const { root, cache } = await boxWithCache();
      const victim = path.join(root, 'srv/kept-archives');
      mkdirSync(victim, { recursive: true });
      const kept = ['app_9.9.9_all.bpkg', 'tool_1.0.0_x86_64.bpkg', 'tool_1.0.0_x86_64.bpkg.part'];
      for (const f of kept) writeFileSync(path.join(victim, f), `the admin's ${f}`);
      rmSync(cache, { recursive: true });
      symlinkSync(target === 'absolute' ? victim : path.relative(path.dirname(cache), victim), cache);
      for (const dryRun of [true, false]) {
        const err = await new PackageManager({ root }).clean({ dryRun }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BlueprintError);
        expect(err).toMatchObject({ code: 'cache-link' });
        expect((err as BlueprintError).hint).toMatch(/remove the link/i);
      }
      for (const f of kept) expect(readFileSync(path.join(victim, f), 'utf8')).toBe(`the admin's ${f}`);
      const cli = await bpkg(root, ['--json', 'clean']);
      expect(cli.code).not.toBe(0);
      expect(JSON.parse(cli.stdout).error).toMatchObject({ code: 'cache-link' });
      for (const f of kept) expect(readFileSync(path.join(victim, f), 'utf8')).toBe(`the admin's ${f}`);
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
    expect(again.stdout).toMatch(/nothing to clean/i);
    expect((await bpkg(root, ['verify'])).code).toBe(0);
  });

  it('--dry-run prints the list a real run then removes and prints, with bytes, and removes nothing; --json too', async () => {
    const { root, cache } = await boxWithCache();
    const help = await bpkg(root, ['clean', '--help']);
    expect(help.stdout).toMatch(/--dry-run/);
    const before = filesSnapshot(cache);
    const names = ['app_1.0.0_all.bpkg', 'base-lib_1.0.0_all.bpkg'];
    const sizes = names.map((f) => readFileSync(path.join(cache, f)).length);
    const dryJson = await bpkg(root, ['--json', 'clean', '--dry-run']);
    expect(dryJson.code).toBe(0);
    const dry = JSON.parse(dryJson.stdout);
    expect(dry).toEqual({
      removed: names.map((name, i) => ({ name, bytes: sizes[i] })),
      bytes: sizes[0]! + sizes[1]!,
      dryRun: true,
    });
    const dryText = await bpkg(root, ['clean', '--dry-run']);
    expect(dryText.code).toBe(0);
    expect(dryText.stdout).toMatch(
      /^Would remove 2 files from the package cache, freeing .*nothing was removed/,
    );
    expect(filesSnapshot(cache)).toEqual(before);
    const real = await bpkg(root, ['clean']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^Removed 2 files from the package cache, freeing /);
    // The same lines for the files, in the same order, as the dry run printed.
    const fileLines = (out: string) => out.split('\n').filter((l) => l.startsWith('  '));
    expect(fileLines(real.stdout)).toEqual(fileLines(dryText.stdout));
    expect(fileLines(real.stdout).map((l) => l.trim().split(/\s+/)[0])).toEqual(names);
    expect(readdirSync(cache)).toEqual([]);
    const emptyDry = await bpkg(root, ['--json', 'clean', '--dry-run']);
    expect(JSON.parse(emptyDry.stdout)).toEqual({ removed: [], bytes: 0, dryRun: true });
  });

  // QA24: install, remove, upgrade and autoremove take -s and --simulate (apt-get's names for a
  // dry run); clean, which apt-get also simulates with -s, refused both as unknown options.
  it("-s and --simulate are its dry run too, as apt-get's and the other bpkg commands'", async () => {
    const { root, cache } = await boxWithCache();
    const before = filesSnapshot(cache);
    for (const flag of ['-s', '--simulate']) {
      const r = await bpkg(root, ['clean', flag]);
      expect(r.code, `${flag}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Would remove 2 files from the package cache/);
      expect(filesSnapshot(cache)).toEqual(before);
    }
    expect((await bpkg(root, ['clean', '--help'])).stdout).toMatch(/-s, --dry-run[\s\S]*--simulate/);
  });

  it('takes no arguments (usage error, exit 2)', async () => {
    const { root } = await boxWithCache();
    const r = await bpkg(root, ['clean', 'app']);
    expect(r.code).toBe(2);
  });
});
