/**
 * An outside reviewer's attack pass over the quick paths of `bpkg update` and `bpkg search`
 * (src/core/pkg/update-fast.ts, search-fast.ts, node-lazy.ts readAlongside, sig-fast.ts; issue 20):
 * served indexes changed at the edges of the 256 KB pieces or only in their last bytes, cut or
 * extended; an older validly signed index served again; freshness at its exact edge; one
 * repository's sealed files put in another's place; an older search table or head put back; links
 * where meta.json and the sealed files are written, and out of the served folder (the keys and
 * signatures the quick verifier is given: quick-sig-attacks.test.ts). Each case asks that the quick path
 * never says more than the package manager would (it declines, or gives the same answer).
 */
import { cpSync, lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickSearch, quickUpdate } from '../../src/app/pkg-quick.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { readVerified } from '../../src/core/pkg/index-cache.js';
import { readAlongside } from '../../src/core/pkg/node-lazy.js';
import { updateBox } from '../../src/core/pkg/update.js';
import { layout } from '../../src/core/system/paths.js';
import {
  GOOD,
  lists,
  listsSnapshot,
  publishSources,
  repoFile,
  serveCopy,
  serveNext,
  signedRepo,
  syntheticRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([GOOD]));
});

async function declines(root: string, now?: () => Date) {
  const before = listsSnapshot(root);
  expect(await quickUpdate(root, now)).toBeUndefined();
  expect(listsSnapshot(root)).toEqual(before);
}

/** A signed index of `count` synthetic entries (~270 bytes each) written to a new folder. */
const bigRepo = (count: number, version = 1) =>
  syntheticRepo(key, count, 'whose entry pads the index across several pieces of the quick read', version);

describe('served index bytes at the edges of the quick read', () => {
  it('declines an index changed at a piece edge, in its last byte, cut or extended; the package manager refuses it', async () => {
    const big = await bigRepo(2500);
    const genuine = readFileSync(path.join(big, 'index.json'));
    const PIECE = 256 * 1024;
    expect(genuine.length).toBeGreaterThan(2 * PIECE + 10);
    /** A letter of a summary near `at` (a digit of a name would still be valid JSON too). */
    const letterNear = (at: number) => {
      for (let i = at; ; i++) if (genuine[i]! >= 0x61 && genuine[i]! <= 0x7a) return i;
    };
    const flip = (at: number) => {
      const b = Buffer.from(genuine);
      b[at] = b[at] === 0x61 ? 0x62 : 0x61;
      return b;
    };
    const shapes: [string, Buffer][] = [
      ['the last byte of the first piece', flip(PIECE - 1)],
      ['the first byte of the second piece', flip(PIECE)],
      ['a letter just past the second piece', flip(letterNear(2 * PIECE))],
      ['the last byte', flip(genuine.length - 1)],
      ['one byte cut off the end', genuine.subarray(0, -1)],
      ['cut at the end of the first piece', genuine.subarray(0, PIECE)],
      ['a newline added at the end', Buffer.concat([genuine, Buffer.from('\n')])],
      ['a whole piece of spaces added', Buffer.concat([genuine, Buffer.alloc(PIECE, 0x20)])],
    ];
    const root = await trustingRoot(key, big);
    expect(await quickUpdate(root)).toHaveLength(1);
    for (const [what, bytes] of shapes) {
      const served = serveCopy(root, big);
      writeFileSync(path.join(served, 'index.json'), bytes);
      await declines(root);
      const [out] = await updateBox(root);
      expect(out, what).toMatchObject({ ok: false });
      // The box keeps what it had: the genuine index, still answered quickly once served again.
      expect(readFileSync(lists(root, 'main', 'index.json')).equals(genuine), what).toBe(true);
    }
    serveCopy(root, big);
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 1, packages: 2500 },
    ]);
  });

  it('the same bytes with a kept copy that has more after them are not the same (readAlongside)', () => {
    const dir = tempDir();
    const served = path.join(dir, 'served');
    const kept = path.join(dir, 'kept');
    const body = Buffer.alloc(256 * 1024 * 2, 0x61);
    writeFileSync(served, body);
    const none = new Uint8Array(0);
    const seen: number[] = [];
    for (const [extra, want] of [
      [Buffer.alloc(0), true],
      [Buffer.from('x'), false],
      [Buffer.alloc(256 * 1024, 0x61), false],
    ] as const) {
      writeFileSync(kept, Buffer.concat([body, extra]));
      expect(
        readAlongside(served, 64 * 1024 * 1024, [{ file: kept, before: none, after: none }], (b) =>
          seen.push(b.length),
        ),
        `kept +${extra.length}`,
      ).toBe(want);
    }
    // Over the size bound: refused even when the copies agree.
    writeFileSync(kept, body);
    expect(
      readAlongside(served, body.length - 1, [{ file: kept, before: none, after: none }], () => {}),
    ).toBe(false);
    // A kept copy that is shorter than what is served.
    writeFileSync(kept, body.subarray(0, -1));
    expect(
      readAlongside(served, 64 * 1024 * 1024, [{ file: kept, before: none, after: none }], () => {}),
    ).toBe(false);
  });
});

describe('rollback, replay and freshness', () => {
  it('refuses an older validly signed index served again, on both paths, and keeps the newer one', async () => {
    const old = path.join(tempDir(), 'old');
    cpSync(repo, old, { recursive: true });
    const root = await trustingRoot(key, repo);
    await serveNext(root, repo, key, [{ name: 'good', version: '1.1.0', summary: 'the newer summary' }]);
    const [up] = await updateBox(root);
    expect(up).toMatchObject({ ok: true, changed: true, version: 2 });
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 2, packages: 2 },
    ]);
    // The version 1 folder, as it was signed then, served again.
    serveCopy(root, old);
    await declines(root);
    const [out] = await updateBox(root);
    expect(out).toMatchObject({ ok: false, error: { code: 'index-rollback' } });
    expect((await readVerified(layout(root), 'main'))?.index.version).toBe(2);
    const hits = await quickSearch(root, 'summary');
    expect(hits?.map((h) => h.version)).toEqual(['1.1.0']);
  });

  it('judges an index byte-identical to the kept one at its exact expiry as the package manager does', async () => {
    const root = await trustingRoot(key, repo);
    const index = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as { expires: string };
    const expires = Date.parse(index.expires);
    for (const at of [expires - 1, expires, expires + 1, expires + 86_400_000]) {
      const now = () => new Date(at);
      const quick = await quickUpdate(root, now).catch((e: unknown) => e);
      const full = await new PackageManager({ root, now }).update().catch((e: unknown) => e);
      if (Array.isArray(full) && full[0]?.ok) {
        // Fresh: the quick path may answer, and then it says the same.
        if (quick !== undefined) expect(quick, `${at - expires} ms`).toEqual(full);
      } else {
        // Expired: the quick path never says it is fine.
        expect(quick, `${at - expires} ms`).toBeUndefined();
      }
    }
    const late = () => new Date(expires + 1000);
    expect(await quickUpdate(root, late)).toBeUndefined();
    const [out] = await new PackageManager({ root, now: late }).update();
    expect(out?.ok).toBe(false);
  });
});

describe('trust scoped per repository, and what the quick paths read and write', () => {
  it("declines another repository's sealed head, cache and table put in this one's place", async () => {
    const root = await trustingRoot(key, repo);
    const second = path.join(tempDir(), 'second');
    await publishSources(second, key, [
      { name: 'alien', version: '9.0.0', summary: 'the summary of another' },
    ]);
    const pm = new PackageManager({ root });
    await pm.repos.add('second', second, { keys: [key.fingerprint] });
    await pm.update();
    expect(await quickUpdate(root)).toHaveLength(2);
    // Serve `second`'s folder as `main` and put all of `second`'s kept files in `main`'s place:
    // every seal holds for `second`, none for `main`.
    const config = JSON.parse(readFileSync(repoFile(root), 'utf8')) as { url: string };
    writeFileSync(repoFile(root), JSON.stringify({ ...config, url: `file://${second}` }));
    for (const f of ['index.json', 'index.json.asc', 'head.json', 'verified.json', 'search.tsv', 'meta.json'])
      cpSync(lists(root, 'second', f), lists(root, 'main', f));
    await declines(root);
    expect(await readVerified(layout(root), 'main')).toBeUndefined();
    expect(await quickSearch(root, 'summary')).toBeUndefined();
    // The package manager's search never shows `alien` as `main`'s.
    const hits = await new PackageManager({ root }).search('alien').catch(() => []);
    expect(hits.filter((h) => h.repo === 'main')).toEqual([]);
  });

  // Failed at 08075fe (searchTables never bound the table to the sealed head: notes/e-f.md 16:45).
  it('never answers a search from an older sealed table put back after an update', async () => {
    const root = await trustingRoot(key, repo);
    const oldTable = readFileSync(lists(root, 'main', 'search.tsv'));
    await serveNext(root, repo, key, [{ name: 'good', version: '1.1.0', summary: 'the newer summary' }]);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: true, version: 2 });
    expect((await quickSearch(root, 'summary'))?.map((h) => h.version)).toEqual(['1.1.0']);
    // The version 1 table, sealed for this repository by this box, back in its place.
    writeFileSync(lists(root, 'main', 'search.tsv'), oldTable);
    const quick = await quickSearch(root, 'summary');
    if (quick !== undefined)
      expect(quick.map((h) => `${h.version} ${h.summary}`)).toEqual(['1.1.0 the newer summary']);
    const full = await new PackageManager({ root }).search('summary');
    expect(full.map((h) => h.version)).toEqual(['1.1.0']);
    // The package manager's search wrote the table again from the verified index: quick once more.
    expect(await quickSearch(root, 'summary')).toEqual(full);
  });

  it('an older sealed head put back beside the newer cache and table: neither is taken through it', async () => {
    const root = await trustingRoot(key, repo);
    const oldHead = readFileSync(lists(root, 'main', 'head.json'));
    await serveNext(root, repo, key, [{ name: 'good', version: '1.3.0', summary: 'the newest summary' }]);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: true, version: 2 });
    writeFileSync(lists(root, 'main', 'head.json'), oldHead);
    // The head names version 1's cache seal and SHA-256: the version 2 cache and table are not its.
    expect(await readVerified(layout(root), 'main')).toBeUndefined();
    expect(await quickSearch(root, 'summary')).toBeUndefined();
    await declines(root);
    // The package manager verifies the kept index.json again and keeps version 2.
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: false, version: 2 });
    expect((await quickSearch(root, 'newest'))?.map((h) => h.version)).toEqual(['1.3.0']);
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 2, packages: 2 },
    ]);
  });

  it('a link at meta.json is neither read nor written through: the quick path declines, the manager names it', async () => {
    const root = await trustingRoot(key, repo);
    const meta = lists(root, 'main', 'meta.json');
    const text = readFileSync(meta, 'utf8');
    // The link leads to a copy of the genuine meta.json. Read through, it was taken as the box's
    // (then replaced by the write); state files are read as the files themselves (SEC3).
    const outside = path.join(tempDir(), 'outside.json');
    writeFileSync(outside, text);
    rmSync(meta);
    symlinkSync(outside, meta);
    const later = new Date(Date.now() + 60_000);
    expect(await quickUpdate(root, () => later)).toBeUndefined();
    const full = await updateBox(root).then(
      (outcomes) => outcomes[0],
      (err: unknown) => err,
    );
    expect(full).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/meta\.json is a symbolic link/) },
    });
    expect(readFileSync(outside, 'utf8')).toBe(text);
    expect(lstatSync(meta).isSymbolicLink()).toBe(true);
  });

  it('a served index.json or signature that is a link out of the repository folder: declined, and refused by the package manager', async () => {
    for (const file of ['index.json', 'index.json.asc']) {
      const root = await trustingRoot(key, repo);
      const served = serveCopy(root, repo);
      const outside = path.join(tempDir(), file);
      cpSync(path.join(served, file), outside);
      rmSync(path.join(served, file));
      symlinkSync(outside, path.join(served, file));
      await declines(root);
      const [out] = await updateBox(root);
      expect(out, file).toMatchObject({ ok: false, error: { code: 'path-outside-repository' } });
    }
  });

  it('links put where the head, the cache and the table are: replaced when written, their targets left as they were', async () => {
    const root = await trustingRoot(key, repo);
    const targets: Record<string, { file: string; bytes: string }> = {};
    for (const f of ['head.json', 'verified.json', 'search.tsv']) {
      const p = lists(root, 'main', f);
      const outside = path.join(tempDir(), f);
      cpSync(p, outside);
      targets[f] = { file: outside, bytes: readFileSync(outside, 'latin1') };
      rmSync(p);
      symlinkSync(outside, p);
    }
    // A changed index makes the package manager write all three.
    await serveNext(root, repo, key, [{ name: 'good', version: '1.2.0', summary: 'written anew' }]);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: true, version: 2 });
    for (const [f, t] of Object.entries(targets)) {
      expect(lstatSync(lists(root, 'main', f)).isSymbolicLink(), f).toBe(false);
      expect(readFileSync(t.file, 'latin1'), f).toBe(t.bytes);
    }
    expect((await quickSearch(root, 'anew'))?.map((h) => h.version)).toEqual(['1.2.0']);
  });

  it('the quick search never answers for a repository whose signer is not bound to it now', async () => {
    const root = await trustingRoot(key, repo);
    expect(await quickSearch(root, 'summary')).toHaveLength(1);
    const config = JSON.parse(readFileSync(repoFile(root), 'utf8')) as Record<string, unknown>;
    writeFileSync(repoFile(root), JSON.stringify({ ...config, keys: ['0'.repeat(40)] }));
    expect(await quickSearch(root, 'summary')).toBeUndefined();
  });
});
