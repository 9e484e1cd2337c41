/**
 * `bpkg update` when nothing is new (src/core/pkg/update-fast.ts, src/app/pkg-quick.ts), answered
 * from the executable's start part without the package manager: the same outcome as updateBox
 * gives on that path, and no answer at all (nothing written) whenever anything is different, so
 * that the package manager verifies, rebuilds, warns or refuses as before.
 */
import { cpSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickSearch, quickUpdate } from '../../src/app/pkg-quick.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { readVerified } from '../../src/core/pkg/index-cache.js';
import { updateBox } from '../../src/core/pkg/update.js';
import { layout } from '../../src/core/system/paths.js';
import {
  bpkg,
  lists,
  listsSnapshot,
  makeKey,
  publishSources,
  repoFile,
  serveCopy,
  serveNext,
  syntheticRepo,
  type TestKey,
  tempDir,
  trustingRoot,
  twoPackageRepo,
} from '../helpers/pkg.js';

let key: TestKey;
let other: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await twoPackageRepo());
  other = await makeKey(path.join(tempDir(), 'other'));
});

/** The quick path declines and writes nothing; then the package manager answers as it always did. */
async function declines(root: string) {
  const before = listsSnapshot(root);
  expect(await quickUpdate(root)).toBeUndefined();
  expect(listsSnapshot(root)).toEqual(before);
  return updateBox(root);
}

describe('quick update of an unchanged index', () => {
  it('gives the outcome updateBox gives, and writes only meta.json', async () => {
    const root = await trustingRoot(key, repo);
    const before = listsSnapshot(root);
    const metaFile = path.join(lists(root), 'main/meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, string>;
    const later = new Date(Date.parse(meta.fetched!) + 60_000);
    const quick = await quickUpdate(root, () => later);
    expect(quick).toEqual([{ repo: 'main', ok: true, changed: false, version: 1, packages: 2 }]);
    const after = listsSnapshot(root);
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(changed).toEqual([path.relative(root, metaFile)]);
    expect(JSON.parse(readFileSync(metaFile, 'utf8'))).toEqual({ ...meta, fetched: later.toISOString() });
    // The package manager, asked the same, says the same.
    expect(await updateBox(root)).toEqual(quick);
  });

  it('answers for every repository, or for none', async () => {
    const root = await trustingRoot(key, repo);
    const second = path.join(tempDir(), 'second');
    await publishSources(second, key, [{ name: 'alpha', version: '3.0.0', summary: 'first' }]);
    const pm = new PackageManager({ root });
    await pm.repos.add('second', second, { keys: [key.fingerprint] });
    // Not yet fetched: the package manager must do the first update of `second`.
    await declines(root);
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 1, packages: 2 },
      { repo: 'second', ok: true, changed: false, version: 1, packages: 1 },
    ]);
  });

  it('declines a new index: the package manager verifies, parses and keeps it', async () => {
    const root = await trustingRoot(key, repo);
    await serveNext(root, repo, key, [{ name: 'good', version: '1.1.0', summary: 'newer' }]);
    const [out] = await declines(root);
    expect(out).toMatchObject({ ok: true, changed: true });
  });

  it('declines a signature it cannot vouch for: the package manager refuses it', async () => {
    const root = await trustingRoot(key, repo);
    const served = serveCopy(root, repo);
    writeFileSync(path.join(served, 'index.json.asc'), 'not a signature');
    const [out] = await declines(root);
    expect(out?.ok).toBe(false);
  });

  it("declines the same bytes signed by a key not bound to the repository (another repository's key)", async () => {
    const root = await trustingRoot(key, repo);
    await new PackageManager({ root }).keyring.add(other.publicKey, other.fingerprint);
    const served = serveCopy(root, repo);
    const { readPrivateKey, signFileDetached } = await import('../../src/core/pkg/signing.js');
    const file = path.join(served, 'index.json');
    writeFileSync(`${file}.asc`, await signFileDetached(file, await readPrivateKey(other.privateKey)));
    const [out] = await declines(root);
    expect(out).toMatchObject({ ok: false, error: { code: 'wrong-repository-key' } });
  });

  it('declines when its head was changed: the package manager rebuilds it', async () => {
    const edits: [string, string, string][] = [['head.json', '"version":1', '"version":9']];
    for (const [file, from, to] of edits) {
      const root = await trustingRoot(key, repo);
      const p = path.join(lists(root), 'main', file);
      const text = readFileSync(p, 'utf8');
      expect(text).toContain(from);
      writeFileSync(p, text.replace(from, to));
      const [out] = await declines(root);
      expect(out, file).toMatchObject({ ok: true, changed: false, version: 1 });
      expect(readFileSync(p, 'utf8'), file).toBe(text);
      expect(await quickUpdate(root), file).toHaveLength(1);
    }
  });

  it('leaves a changed or missing cache to its readers, which never take it and make it again', async () => {
    // Whatever reads the cache checks its seal and binds it to the sealed head first (readVerified);
    // the quick update does not compare it again (issue 20). A reader that finds it changed verifies
    // the kept index.json against its signature again and writes the cache anew (Repositories.state).
    for (const edit of ['changed', 'missing'] as const) {
      const root = await trustingRoot(key, repo);
      const p = path.join(lists(root), 'main', 'verified.json');
      const bytes = readFileSync(p);
      if (edit === 'changed') writeFileSync(p, bytes.toString('latin1').replace('genuine', 'EVIL'), 'latin1');
      else rmSync(p);
      expect(await quickUpdate(root), edit).toEqual([
        { repo: 'main', ok: true, changed: false, version: 1, packages: 2 },
      ]);
      const info = await new PackageManager({ root }).info('good');
      expect(
        info.available.map((a) => a.summary),
        edit,
      ).toEqual(['the genuine summary']);
      // Made anew by that read (from the index verified again), and read as it is from now on.
      expect(readFileSync(p, 'latin1'), edit).not.toContain('EVIL');
      expect(await readVerified(layout(root), 'main'), edit).toBeDefined();
    }
  });

  it('leaves a changed or missing search table to search, which never takes it and makes it again', async () => {
    // The table is only ever read by search, which checks its seal first (search-fast.ts); the
    // quick update does not put it through HMAC again (issue 20). Search then answers from the
    // verified index through the package manager, and writes the table again from that index.
    for (const edit of ['changed', 'missing'] as const) {
      const root = await trustingRoot(key, repo);
      const p = path.join(lists(root), 'main', 'search.tsv');
      const text = readFileSync(p, 'utf8');
      if (edit === 'changed') writeFileSync(p, text.replace('genuine', 'EVIL'));
      else rmSync(p);
      expect(await quickUpdate(root), edit).toEqual([
        { repo: 'main', ok: true, changed: false, version: 1, packages: 2 },
      ]);
      expect(await quickSearch(root, 'summary'), edit).toBeUndefined();
      const hits = await new PackageManager({ root }).search('summary');
      expect(
        hits.map((h) => h.summary),
        edit,
      ).toEqual(['the genuine summary']);
      expect(readFileSync(p, 'utf8'), edit).toBe(text);
      expect(await quickSearch(root, 'summary'), edit).toEqual(hits);
    }
  });

  it('declines when the kept index.json was changed: the package manager judges it as before', async () => {
    const root = await trustingRoot(key, repo);
    const p = path.join(lists(root), 'main/index.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('genuine', 'EVIL'));
    const [out] = await declines(root);
    // Taken as the baseline, the changed copy has the served version with other bytes: refused.
    expect(out).toMatchObject({ ok: false, error: { code: 'index-rollback' } });
  });

  it('reads the kept copy and the caches in pieces: a change past the first piece (256 KB) is still seen', async () => {
    // An index of 3,000 entries (~800 KB): its kept copy and its cache span several pieces.
    const big = await syntheticRepo(
      key,
      3000,
      'for the piecewise reads of a kept index, its cache and its search table',
    );
    const index = readFileSync(path.join(big, 'index.json'), 'utf8');
    expect(index.length).toBeGreaterThan(2 * 256 * 1024);
    const fresh = await trustingRoot(key, big);
    expect(await quickUpdate(fresh)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 1, packages: 3000 },
    ]);
    // One byte near the end of the kept index.json changed, the size kept (the cache and the
    // search table are their readers' to check: see above).
    for (const file of ['index.json']) {
      const root = await trustingRoot(key, big);
      const p = path.join(lists(root), 'main', file);
      const bytes = readFileSync(p);
      const at = bytes.lastIndexOf('pkg-2998');
      expect(at, file).toBeGreaterThan(256 * 1024);
      bytes[at + 4] = '7'.charCodeAt(0);
      writeFileSync(p, bytes);
      const [out] = await declines(root);
      expect(out, file).toMatchObject(
        file === 'index.json'
          ? { ok: false, error: { code: 'index-rollback' } }
          : { ok: true, changed: false },
      );
    }
    // The served index one byte changed past the first piece (read once, hashed and compared on
    // the way), the kept copy and the cache as they were: neither its signature nor the copies hold.
    {
      const root = await trustingRoot(key, big);
      const served = path.join(tempDir(), 'served');
      cpSync(big, served, { recursive: true });
      const config = JSON.parse(readFileSync(repoFile(root), 'utf8')) as { url: string };
      writeFileSync(repoFile(root), JSON.stringify({ ...config, url: `file://${served}` }));
      const p = path.join(served, 'index.json');
      const bytes = readFileSync(p);
      bytes[bytes.lastIndexOf('pkg-2998') + 4] = '7'.charCodeAt(0);
      writeFileSync(p, bytes);
      const [out] = await declines(root);
      expect(out).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    }
    // The kept copy one byte longer or shorter: not the same bytes.
    for (const cut of [-1, 1]) {
      const root = await trustingRoot(key, big);
      const p = path.join(lists(root), 'main/index.json');
      const bytes = readFileSync(p);
      writeFileSync(p, cut < 0 ? bytes.subarray(0, -1) : Buffer.concat([bytes, Buffer.from(' ')]));
      expect(await quickUpdate(root)).toBeUndefined();
    }
  });

  it('declines without the keyring cache, or with one made for other key files', async () => {
    const root = await trustingRoot(key, repo);
    rmSync(path.join(lists(root), 'keyring.json'));
    expect((await declines(root))[0]?.ok).toBe(true);
    // The package manager judged the keys again and kept them: the next update is quick.
    expect(await quickUpdate(root)).toHaveLength(1);
    writeFileSync(path.join(root, 'etc/blueprint/keys', `${key.fingerprint}.asc`), `${key.publicKey}\n`);
    expect((await declines(root))[0]?.ok).toBe(true);
  });

  it('declines a key rotation notice, mirrors, an unpinned repository and URLs other than a folder', async () => {
    const root = await trustingRoot(key, repo);
    const config = JSON.parse(readFileSync(repoFile(root), 'utf8')) as Record<string, unknown>;
    const variants = [
      { ...config, mirrors: [`file://${repo}`, 'file:///nonexistent'] },
      { ...config, repository: undefined },
      { ...config, url: 'http://127.0.0.1:9/repo' },
    ];
    for (const v of variants) {
      writeFileSync(repoFile(root), JSON.stringify(v));
      const before = listsSnapshot(root);
      expect(await quickUpdate(root)).toBeUndefined();
      expect(listsSnapshot(root)).toEqual(before);
    }
    writeFileSync(repoFile(root), JSON.stringify(config));
    const served = serveCopy(root, repo);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(served, 'keys'));
    writeFileSync(path.join(served, 'keys/rotation.json'), '{}');
    expect((await declines(root))[0]?.ok).toBe(false);
  });

  it('declines when a folder of the root leads out of it: the package manager refuses, nothing is written there', async () => {
    const root = await trustingRoot(key, repo);
    const outside = tempDir('bp-elsewhere-');
    const pkgDir = path.join(root, 'var/lib/blueprint/pkg');
    renameSync(pkgDir, path.join(outside, 'pkg'));
    symlinkSync(path.join(outside, 'pkg'), pkgDir);
    const before = listsSnapshot(root);
    expect(await quickUpdate(root)).toBeUndefined();
    expect(listsSnapshot(root)).toEqual(before);
    await expect(updateBox(root)).rejects.toMatchObject({ code: 'link-outside-root' });
    expect(listsSnapshot(root)).toEqual(before);
  });

  it('declines an expired index: the package manager refuses it with its reason', async () => {
    const root = await trustingRoot(key, repo);
    const index = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as { expires: string };
    const before = listsSnapshot(root);
    expect(await quickUpdate(root, () => new Date(Date.parse(index.expires) + 1000))).toBeUndefined();
    expect(listsSnapshot(root)).toEqual(before);
  });

  it('`bpkg update` prints the same lines and JSON either way', async () => {
    const root = await trustingRoot(key, repo);
    const quick = await bpkg(root, ['update']);
    const quickJson = await bpkg(root, ['--json', 'update']);
    // Without the keyring cache the quick path declines: the pkg command answers.
    rmSync(path.join(lists(root), 'keyring.json'));
    const full = await bpkg(root, ['update']);
    rmSync(path.join(lists(root), 'keyring.json'));
    const fullJson = await bpkg(root, ['--json', 'update']);
    expect(quick.code).toBe(0);
    expect(quick.stdout).toBe('main: unchanged at version 1 (2 packages)\n');
    expect(full).toEqual(quick);
    expect(JSON.parse(fullJson.stdout)).toEqual(JSON.parse(quickJson.stdout));
  });
});
