/**
 * "Nothing to upgrade" from the sealed search tables (src/core/pkg/upgradable-fast.ts), which the
 * app's `packages.upgradable()` answers with before it opens the package manager (the console's
 * Dashboard asks every 2 s): the same answer as PackageManager.upgradable whenever it gives one,
 * and no answer (the package manager plans, warns and explains) whenever a newer version is
 * offered anywhere or a table cannot be trusted.
 */
import { readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { anyRepository } from '../../src/core/pkg/node-lazy.js';
import { noUpgrades, stateStamp, versionsOf } from '../../src/core/pkg/upgradable-fast.js';
import { layout } from '../../src/core/system/paths.js';
import {
  lists,
  makeKey,
  publishSources,
  type SourceSpec,
  signedRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

const V1: SourceSpec[] = [
  { name: 'text', version: '1.0.0', summary: 'text workloads' },
  { name: 'text-extra', version: '2.0.0', summary: 'a name that starts with another' },
  { name: 'vision', version: '1.2.0', summary: 'vision workloads' },
];
let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

/** A box trusting a repository of V1 (plus `more`), with `text` 1.0.0 installed from it. */
async function boxWithText(more: SourceSpec[] = []) {
  const { repo } = await signedRepo([...V1, ...more], key);
  const root = await trustingRoot(key, repo);
  await new PackageManager({ root, yes: true }).install(['text']);
  return { root, repo, paths: layout(root) };
}
const manager = (root: string) => new PackageManager({ root, warn: () => {} });
const table = (root: string, name = 'main') => path.join(lists(root), name, 'search.tsv');

describe('no upgrades from the search tables', () => {
  it('says "none" exactly where the package manager plans none, and declines once one is offered', async () => {
    const { root, repo, paths } = await boxWithText();
    expect(await noUpgrades(paths, new Date())).toEqual([]);
    expect(await manager(root).upgradable()).toEqual([]);
    expect(await openBox(root).packages.upgradable()).toEqual([]);
    // text 1.1.0 published and fetched: the tables decline, the app answers as the package manager.
    await publishSources(repo, key, [
      ...V1.filter((s) => s.name !== 'text'),
      { ...V1[0]!, version: '1.1.0' },
    ]);
    expect((await manager(root).update()).every((o) => o.ok)).toBe(true);
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
    const planned = await manager(root).upgradable();
    expect(planned).toEqual([{ name: 'text', from: '1.0.0', to: '1.1.0', repo: 'main' }]);
    expect(await openBox(root).packages.upgradable()).toEqual(planned);
  });

  it('declines for a newer version in another repository, though it is no upgrade', async () => {
    const { root, paths } = await boxWithText();
    const { repo: second } = await signedRepo([{ ...V1[0]!, version: '9.0.0' }], key);
    await manager(root).repos.add('second', second, { keys: [key.fingerprint] });
    expect((await manager(root).update()).every((o) => o.ok)).toBe(true);
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
    // A package upgrades from where it came from: the package manager says none.
    expect(await openBox(root).packages.upgradable()).toEqual([]);
  });

  it('a table changed to hide an upgrade gives no answer: the upgrade is still counted', async () => {
    const { root, repo, paths } = await boxWithText();
    await publishSources(repo, key, [
      ...V1.filter((s) => s.name !== 'text'),
      { ...V1[0]!, version: '1.0.1' },
    ]);
    await manager(root).update();
    const text = readFileSync(table(root), 'utf8');
    expect(text).toContain('text\t1.0.1\t');
    writeFileSync(table(root), text.replace('text\t1.0.1\t', 'text\t1.0.0\t'));
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
    expect((await openBox(root).packages.upgradable()).map((u) => u.to)).toEqual(['1.0.1']);
  });

  it('declines for an expired index and for an installed package whose origin is not recorded', async () => {
    const { root, paths } = await boxWithText();
    expect(await noUpgrades(paths, new Date(Date.now() + 400 * 86400e3))).toBeUndefined();
    const db = JSON.parse(readFileSync(paths.installedDb, 'utf8'));
    db.packages.text.origin = '';
    writeFileSync(paths.installedDb, JSON.stringify(db));
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
    // The package manager works the origin out from the index (and warns when it cannot).
    expect(await openBox(root).packages.upgradable()).toEqual(await manager(root).upgradable());
  });

  it('needs no table when nothing from a repository is installed', async () => {
    const root = tempDir('bp-root-');
    expect(anyRepository(layout(root))).toBe(false);
    expect(await noUpgrades(layout(root), new Date())).toEqual([]);
    expect(await openBox(root).repos.any()).toBe(false);
    const { repo } = await signedRepo(V1, key);
    const trusting = await trustingRoot(key, repo);
    expect(await openBox(trusting).repos.any()).toBe(true);
    expect(await noUpgrades(layout(trusting), new Date())).toEqual([]);
  });

  it('a reader that cannot check the seals (not root) verifies the kept indexes instead', async () => {
    const { root, repo, paths } = await boxWithText();
    // The sealing key is root's (0600): without it, as an admin's console finds it.
    rmSync(path.join(lists(root), '.cache-key'));
    expect(await noUpgrades(paths, new Date())).toEqual([]);
    expect(await manager(root).upgradable()).toEqual([]);
    await publishSources(repo, key, [
      ...V1.filter((s) => s.name !== 'text'),
      { ...V1[0]!, version: '1.3.0' },
    ]);
    await manager(root).update();
    rmSync(path.join(lists(root), '.cache-key'));
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
    expect((await openBox(root).packages.upgradable()).map((u) => u.to)).toEqual(['1.3.0']);
    // The kept index changed to hide the upgrade: its signature fails, no answer from here.
    const index = path.join(lists(root), 'main', 'index.json');
    const kept = readFileSync(index, 'utf8');
    expect(kept).toContain('"1.3.0"');
    writeFileSync(index, kept.replaceAll('"1.3.0"', '"1.0.0"'));
    rmSync(path.join(lists(root), '.cache-key'), { force: true });
    expect(await noUpgrades(paths, new Date())).toBeUndefined();
  });

  it('one box answers again after an update, and keeps no answer across a change on disk', async () => {
    const { root, repo } = await boxWithText();
    const box = openBox(root);
    expect(await box.packages.upgradable()).toEqual([]);
    expect(await box.packages.upgradable()).toEqual([]);
    await publishSources(repo, key, [
      ...V1.filter((s) => s.name !== 'text'),
      { ...V1[0]!, version: '1.2.0' },
    ]);
    await manager(root).update();
    expect((await box.packages.upgradable()).map((u) => u.to)).toEqual(['1.2.0']);
    await manager(root).upgrade();
    expect(await box.packages.upgradable()).toEqual([]);
  });

  it('stamps the state on disk so that any write changes the stamp, even with its times set back', async () => {
    const { root, paths } = await boxWithText();
    const before = stateStamp(paths);
    expect(stateStamp(paths)).toBe(before);
    const file = path.join(lists(root), 'main', 'index.json');
    const { atime, mtime } = statSync(file);
    // Rewritten in place with its times put back: the change time moves.
    writeFileSync(file, readFileSync(file));
    utimesSync(file, atime, mtime);
    const inPlace = stateStamp(paths);
    expect(inPlace).not.toBe(before);
    // Replaced by a copy renamed over it: a new inode.
    writeFileSync(`${file}.new`, readFileSync(file));
    utimesSync(`${file}.new`, atime, mtime);
    renameSync(`${file}.new`, file);
    expect(stateStamp(paths)).not.toBe(inPlace);
    // The installed database and the repositories' configuration count too.
    const db = stateStamp(paths);
    writeFileSync(paths.installedDb, readFileSync(paths.installedDb));
    expect(stateStamp(paths)).not.toBe(db);
    const repos = stateStamp(paths);
    await manager(root).repos.setKeys('main', [key.fingerprint]);
    expect(stateStamp(paths)).not.toBe(repos);
  });

  it("finds a name's rows only, not those of a name it begins or ends", () => {
    const rows = 'text\t1.0.0\ta\ntext-extra\t2.0.0\tb\npre-text\t3.0.0\tc\ntext\t1.5.0\td\n';
    expect(versionsOf(rows, 'text')).toEqual(['1.0.0', '1.5.0']);
    expect(versionsOf(rows, 'text-extra')).toEqual(['2.0.0']);
    expect(versionsOf(rows, 'pre-text')).toEqual(['3.0.0']);
    expect(versionsOf(rows, 'ext')).toEqual([]);
    expect(versionsOf('', 'text')).toEqual([]);
  });
});
