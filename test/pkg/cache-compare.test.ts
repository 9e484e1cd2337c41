/**
 * The verified index cache judged by comparison (src/core/pkg/index-cache.ts, issue 20). When the
 * cache holds the verified bytes as they are, the sealed head names the cache's seal; whoever holds
 * bytes that hash to the head's SHA-256 (an unchanged update: it has just hashed them for the
 * signature) then knows the whole sealed file the cache must be and compares it, instead of putting
 * 2.6 MB through HMAC again. Nothing is trusted that was not before: a cache that is not exactly
 * that file is rebuilt from the bytes just verified, and a cache that is not the one the head names
 * is never read as the kept index.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickUpdate } from '../../src/app/pkg-quick.js';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { cachesSealed, readHead } from '../../src/core/pkg/index-cache.js';
import { sameBytesAs } from '../../src/core/pkg/pieces.js';
import { updateBox } from '../../src/core/pkg/update.js';
import { layout } from '../../src/core/system/paths.js';
import { serveNext, type TestKey, tempDir, trustingRoot, twoPackageRepo } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await twoPackageRepo());
});

const listFile = (root: string, file: string) => path.join(root, 'var/lib/blueprint/pkg/lists/main', file);

describe('cache judged by comparison with the sealed head', () => {
  it('the head names the seal of a cache that holds the verified bytes; both ways judge it alike', async () => {
    const root = await trustingRoot(key, repo);
    const paths = layout(root);
    const head = await readHead(paths, 'main');
    const cache = readFileSync(listFile(root, 'verified.json'));
    const genuine = Buffer.from(cache);
    expect(head?.cache).toBe(cache.subarray(0, 64).toString('latin1'));
    expect(head?.raw).toBe(true);
    const bytes = readFileSync(listFile(root, 'index.json'));
    expect(await cachesSealed(paths, 'main', { head: head!, bytes })).toBe(true);
    expect(await cachesSealed(paths, 'main')).toBe(true);
    // One byte of the cache changed: neither way takes it.
    const at = cache.indexOf('genuine');
    cache[at] = 'G'.charCodeAt(0);
    writeFileSync(listFile(root, 'verified.json'), cache);
    expect(await cachesSealed(paths, 'main', { head: head!, bytes })).toBe(false);
    expect(await cachesSealed(paths, 'main')).toBe(false);
    // Other bytes than those the head was made from (which the caller must have hashed to the
    // head's SHA-256: these do not) are not taken for that cache either.
    writeFileSync(listFile(root, 'verified.json'), genuine);
    const other = Buffer.from(bytes.toString('utf8').replace('genuine', 'Genuine'));
    expect(await cachesSealed(paths, 'main', { head: head!, bytes: other })).toBe(false);
  });

  it('an older cache put back, which still matches its own seal, is never read: its reader or the update rebuilds it', async () => {
    const root = await trustingRoot(key, repo);
    const old = readFileSync(listFile(root, 'verified.json'));
    // The publisher's next index (version 2, another summary), fetched and kept.
    await serveNext(root, repo, key, [{ name: 'good', version: '1.1.0', summary: 'the newer summary' }]);
    const pm = new PackageManager({ root });
    expect((await pm.update())[0]).toMatchObject({ ok: true, changed: true, version: 2 });
    const fresh = readFileSync(listFile(root, 'verified.json'));
    // The cache of version 1 put back: its seal holds (same box, same repository), its index is older.
    writeFileSync(listFile(root, 'verified.json'), old);
    const info = await new PackageManager({ root }).info('good');
    expect(info.available[0]).toMatchObject({ version: '1.1.0', summary: 'the newer summary' });
    // Read again from the verified index.json, the cache was rebuilt by that read (not put back).
    expect(readFileSync(listFile(root, 'verified.json'))).not.toEqual(old);
    // Put back again: the package manager's update rebuilds it as it was; the quick update leaves
    // it to its readers (update-fast.ts), which still never take it.
    writeFileSync(listFile(root, 'verified.json'), old);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: false, version: 2 });
    expect(readFileSync(listFile(root, 'verified.json'))).toEqual(fresh);
    writeFileSync(listFile(root, 'verified.json'), old);
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 2, packages: 3 },
    ]);
    const again = await new PackageManager({ root }).info('good');
    expect(again.available[0]).toMatchObject({ version: '1.1.0', summary: 'the newer summary' });
    expect(readFileSync(listFile(root, 'verified.json'))).not.toEqual(old);
  });

  it('a cache stringified from what was validated is still judged by its seal', async () => {
    const dir = path.join(tempDir(), 'repo');
    cpSync(repo, dir, { recursive: true });
    const file = path.join(dir, 'index.json');
    const index = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, unknown>[] };
    // Keys in another order: the cache cannot be the bytes as they are (test/pkg/cache-raw.test.ts).
    index.packages[0] = Object.fromEntries(Object.entries(index.packages[0]!).reverse());
    writeFileSync(file, JSON.stringify(index, null, 1));
    await signFile(file, { keyFile: key.privateFile });
    const root = await trustingRoot(key, dir);
    const paths = layout(root);
    const head = await readHead(paths, 'main');
    expect(head).toBeDefined();
    expect(head?.raw).toBeUndefined();
    expect(head?.cache).toBe(
      readFileSync(listFile(root, 'verified.json')).subarray(0, 64).toString('latin1'),
    );
    const bytes = readFileSync(listFile(root, 'index.json'));
    expect(await cachesSealed(paths, 'main', { head: head!, bytes })).toBe(true);
    expect(await quickUpdate(root)).toHaveLength(1);
    const cache = readFileSync(listFile(root, 'verified.json'), 'utf8');
    writeFileSync(listFile(root, 'verified.json'), cache.replace('genuine', 'EVIL'));
    expect(await cachesSealed(paths, 'main', { head: head!, bytes })).toBe(false);
    // The quick update leaves it to its readers (update-fast.ts); the first one never takes it.
    expect(await quickUpdate(root)).toHaveLength(1);
    const info = await new PackageManager({ root }).info('good');
    expect(info.available.map((a) => a.summary)).toEqual(['the genuine summary']);
    expect(await cachesSealed(paths, 'main', { head: (await readHead(paths, 'main'))!, bytes })).toBe(true);
  });
});

describe('sameBytesAs', () => {
  const file = path.join(tempDir(), 'bytes');
  const parts = [
    Buffer.from('seal\n'),
    Buffer.from(''),
    Buffer.from('{"index":'),
    Buffer.from('[1,2,3]'),
    Buffer.from('}'),
  ];
  const whole = Buffer.concat(parts);

  it('takes a file equal to the parts one after the other, whatever the size of the pieces', () => {
    writeFileSync(file, whole);
    for (const size of [1, 2, 3, 5, 7, 64])
      expect(sameBytesAs(file, parts, Buffer.alloc(size)), `${size}`).toBe(true);
  });

  it('refuses a file one byte different, shorter or longer, and one that is missing', () => {
    for (let i = 0; i < whole.length; i++) {
      const changed = Buffer.from(whole);
      changed[i] = changed[i]! ^ 1;
      writeFileSync(file, changed);
      expect(sameBytesAs(file, parts, Buffer.alloc(4)), `byte ${i}`).toBe(false);
    }
    writeFileSync(file, whole.subarray(0, -1));
    expect(sameBytesAs(file, parts, Buffer.alloc(4))).toBe(false);
    writeFileSync(file, Buffer.concat([whole, Buffer.from(' ')]));
    expect(sameBytesAs(file, parts, Buffer.alloc(4))).toBe(false);
    expect(sameBytesAs(`${file}.missing`, parts, Buffer.alloc(4))).toBe(false);
  });
});
