/**
 * A folder or HTTP repository is a `blueprint repo build` folder copied to where boxes read it
 * (rsync, a web server's folder). The copy replaces index.json and index.json.asc one after the
 * other (rsync: by name, each file renamed into place), so a box reading between the two, or after
 * a copy that failed between them, got the new index with the old signature: `bad-signature`, and
 * the repository refused until the next publish (docs/security-audit.md, 2026-12-02 "Left open";
 * a bucket had this fixed by by-hash/SHA256/HEX.asc, 3f36409). `repo build` now writes the index's
 * signature under its hash before the index, as a bucket's publish does, and the readers of every
 * transport look there when the .asc does not verify (RepoTrust.verifyServed). Before the fix the
 * build wrote no by-hash/ folder and both boxes' update failed with `bad-signature`.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceKeyRotation, buildRepository } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, serveDir, type TestKey, tempDir } from '../helpers/pkg.js';

const closers: (() => void)[] = [];
/** `repo build` as the publisher runs it (the test helper's buildRepo leaves by-hash/ out). */
const buildRepo = (repoDir: string, key: TestKey, sources: string[]) =>
  buildRepository({ sources, repoDir, name: 'test', signer: { keyFile: key.privateFile } });
afterAll(() => {
  for (const c of closers) c();
});

/** `rel` copied from `from` to `to` where `from` has it (rsync: by-hash/ sorts before index.json). */
function copy(from: string, to: string, rel: string) {
  if (existsSync(path.join(from, rel))) cpSync(path.join(from, rel), path.join(to, rel), { recursive: true });
}

/** What a copy (rsync, by name) has put in `to` when it stopped after index.json. */
function copiedUpToIndex(from: string, to: string) {
  for (const rel of ['by-hash', 'pool']) copy(from, to, rel);
  writeFileSync(path.join(to, 'index.json'), readFileSync(path.join(from, 'index.json')));
}

async function setup() {
  const base = tempDir('bp-by-hash-build-');
  const key = await makeKey(path.join(base, 'key'));
  const built = path.join(base, 'built');
  const served = path.join(base, 'served');
  await buildRepo(built, key, [makeSource(path.join(base, 's1'), { name: 'good', version: '1.0.0' })]);
  mkdirSync(served);
  cpSync(built, served, { recursive: true });
  const http = await serveDir(served);
  closers.push(http.close);
  const boxes = [];
  for (const url of [served, http.url]) {
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', url, { keys: [key.fingerprint] });
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    boxes.push(pm);
  }
  return { base, key, built, served, boxes };
}

describe('a built repository copied while a box reads it', () => {
  it('the new index with the old .asc is taken by its signature by hash (folder and HTTP)', async () => {
    const { base, key, built, served, boxes } = await setup();
    const before = readFileSync(path.join(served, 'index.json.asc'));
    await buildRepo(built, key, [makeSource(path.join(base, 's2'), { name: 'good', version: '2.0.0' })]);
    copiedUpToIndex(built, served);
    expect(readFileSync(path.join(served, 'index.json.asc'))).toEqual(before);
    for (const pm of boxes) {
      const [r] = await pm.update();
      expect(r).toMatchObject({ ok: true, version: 2 });
      expect((await pm.search('good')).map((p) => p.version)).toEqual(['2.0.0']);
      // Unchanged at the next update (the quick path declines; the full one takes it again).
      expect((await pm.update())[0]).toMatchObject({ ok: true, version: 2 });
    }
    // One signature by hash for each index built.
    expect(readdirSync(path.join(built, 'by-hash/SHA256'))).toHaveLength(2);
  }, 120_000);

  it('the old index with the new .asc (a read across the copy) is still the old index, not a failure', async () => {
    const { base, key, built, served, boxes } = await setup();
    await buildRepo(built, key, [makeSource(path.join(base, 's2'), { name: 'good', version: '2.0.0' })]);
    copy(built, served, 'by-hash');
    writeFileSync(path.join(served, 'index.json.asc'), readFileSync(path.join(built, 'index.json.asc')));
    for (const pm of boxes) expect((await pm.update())[0]).toMatchObject({ ok: true, version: 1 });
  }, 120_000);

  it("a repository built before signatures by hash: its next build stores the old index's too", async () => {
    const { base, key, built, served, boxes } = await setup();
    // As repo build left it before fa433b1: no by-hash/ folder, here or where it is copied.
    for (const dir of [built, served]) rmSync(path.join(dir, 'by-hash'), { recursive: true, force: true });
    await buildRepo(built, key, [makeSource(path.join(base, 's2'), { name: 'good', version: '2.0.0' })]);
    copy(built, served, 'by-hash');
    writeFileSync(path.join(served, 'index.json.asc'), readFileSync(path.join(built, 'index.json.asc')));
    for (const pm of boxes) expect((await pm.update())[0]).toMatchObject({ ok: true, version: 1 });
  }, 120_000);

  it('a key rotation notice: the new notice with the old .asc is taken by its signature by hash', async () => {
    const { base, key, built, served, boxes } = await setup();
    const next = await makeKey(path.join(base, 'next'));
    const signer = { keyFile: key.privateFile };
    await announceKeyRotation(built, next.publicKey, next.fingerprint, signer);
    copy(built, served, 'by-hash');
    copy(built, served, 'keys');
    // A second notice (say, a corrected one): copied up to the notice, not its .asc.
    const other = await makeKey(path.join(base, 'other'));
    await announceKeyRotation(built, other.publicKey, other.fingerprint, signer);
    copy(built, served, 'by-hash');
    writeFileSync(
      path.join(served, 'keys/rotation.json'),
      readFileSync(path.join(built, 'keys/rotation.json')),
    );
    for (const pm of boxes) {
      expect((await pm.update())[0]).toMatchObject({ ok: true });
      expect((await pm.repos.list()).find((r) => r.name === 'main')?.keys).toContain(other.fingerprint);
    }
  }, 120_000);
});
