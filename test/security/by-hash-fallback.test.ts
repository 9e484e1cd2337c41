import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, serveDir, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * Review of the signature-by-hash fallback (RepoTrust.verifyServed): whoever serves a repository
 * (a mirror, a bucket's other writers, the network) chooses index.json, index.json.asc and every
 * by-hash/SHA256/HEX.asc. The fallback must not let them make a box take an index it would have
 * refused before: an older index whose signature by hash is still there (rollback), or an index
 * signed by a key the box trusts for another repository (trust is scoped). Served over plain HTTP
 * from a folder the test tampers with; the fallback is the same for every transport.
 */

let keyA: TestKey;
let keyB: TestKey;
let dirA = '';
let dirB = '';
let urlA = '';
const closers: (() => void)[] = [];
const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel));
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Puts `index` in `dir` as index.json with a garbage index.json.asc and `sig` stored by its hash. */
function tamper(dir: string, index: Buffer, sig: Buffer) {
  writeFileSync(path.join(dir, 'index.json'), index);
  writeFileSync(path.join(dir, 'index.json.asc'), 'not a signature');
  mkdirSync(path.join(dir, 'by-hash/SHA256'), { recursive: true });
  writeFileSync(path.join(dir, `by-hash/SHA256/${hex(index)}.asc`), sig);
}

let v1: { index: Buffer; sig: Buffer };

beforeAll(async () => {
  const base = tempDir();
  keyA = await makeKey(path.join(base, 'key-a'));
  keyB = await makeKey(path.join(base, 'key-b'));
  dirA = path.join(base, 'repo-a');
  dirB = path.join(base, 'repo-b');
  await buildRepo(dirA, keyA, [makeSource(path.join(base, 's1'), { name: 'good', version: '1.0.0' })]);
  v1 = { index: read(dirA, 'index.json'), sig: read(dirA, 'index.json.asc') };
  await buildRepo(dirA, keyA, [makeSource(path.join(base, 's2'), { name: 'good', version: '2.0.0' })]);
  await buildRepo(dirB, keyB, [makeSource(path.join(base, 's3'), { name: 'evil', version: '9.0.0' })]);
  const a = await serveDir(dirA);
  closers.push(a.close);
  urlA = a.url;
});
afterAll(() => {
  for (const c of closers) c();
});

async function box() {
  const pm = new PackageManager({ root: tempDir('bp-root-') });
  await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
  await pm.keyring.add(keyB.publicKey, keyB.fingerprint);
  await pm.repos.add('main', urlA, { keys: [keyA.fingerprint] });
  return pm;
}

describe('the signature-by-hash fallback, served by an attacker', () => {
  it('an older index whose signature by hash is still served is refused as a rollback', async () => {
    const v2 = { index: read(dirA, 'index.json'), sig: read(dirA, 'index.json.asc') };
    const pm = await box();
    const [now] = await pm.update();
    expect(now).toMatchObject({ ok: true });
    const current = (now as { version: number }).version;
    try {
      tamper(dirA, v1.index, v1.sig);
      // A box that never saw the newer index takes the old one by its hash: the fallback is used.
      const fresh = await box();
      expect((await fresh.update())[0]).toMatchObject({ ok: true, version: current - 1 });
      // The box that did is not rolled back.
      const [o] = await pm.update();
      expect(o).toMatchObject({ ok: false });
      expect((await pm.search('good')).map((p) => p.version)).toEqual(['2.0.0']);
    } finally {
      writeFileSync(path.join(dirA, 'index.json'), v2.index);
      writeFileSync(path.join(dirA, 'index.json.asc'), v2.sig);
    }
  }, 60_000);

  it("another repository's index, signed by its own trusted key and stored by hash, is refused", async () => {
    const pm = await box();
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const v2 = { index: read(dirA, 'index.json'), sig: read(dirA, 'index.json.asc') };
    try {
      tamper(dirA, read(dirB, 'index.json'), read(dirB, 'index.json.asc'));
      const [o] = await pm.update();
      expect(o).toMatchObject({ ok: false });
      expect((await pm.search('evil')).length).toBe(0);
      // A new box bound to A's key refuses it too (no earlier index to weigh it against).
      expect((await (await box()).update())[0]).toMatchObject({ ok: false });
    } finally {
      writeFileSync(path.join(dirA, 'index.json'), v2.index);
      writeFileSync(path.join(dirA, 'index.json.asc'), v2.sig);
    }
  }, 60_000);

  it('a signature by hash is looked up by the hash of the bytes received: other bytes find none of theirs', async () => {
    const pm = await box();
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const v2 = { index: read(dirA, 'index.json'), sig: read(dirA, 'index.json.asc') };
    try {
      // index.json one byte longer than what the stored signature covers, which stays under the old
      // bytes' hash: the reader hashes what it received, so it finds nothing for these bytes.
      const longer = Buffer.concat([v2.index, Buffer.from('\n')]);
      tamper(dirA, v2.index, v2.sig);
      writeFileSync(path.join(dirA, 'index.json'), longer);
      const [o] = await pm.update();
      expect(o).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    } finally {
      writeFileSync(path.join(dirA, 'index.json'), v2.index);
      writeFileSync(path.join(dirA, 'index.json.asc'), v2.sig);
    }
  }, 60_000);
});
