/**
 * Issue 20: an install reads a repository's package once. Its bytes are hashed for the signed
 * index, hashed for their own signature and unpacked in one pass (src/core/pkg/install-stream.ts),
 * where it used to copy them into the cache, hash them on a worker for the signature and read
 * them a third time to unpack (hashing the archive a second time). Counted from the kernel's side:
 * /proc/self/io's rchar and wchar are every byte this process (all its threads, the digest worker
 * included) passed to read() and write(), page cache or not.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { hostileArchives } from '../helpers/hostile-archives.js';
import {
  buildRepo,
  makeKey,
  makeSource,
  publishRaw,
  rawTar,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

function io(): { read: number; written: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1]);
  return { read: field('rchar'), written: field('wchar') };
}

/** Nothing installed, nothing staged, no journal. */
async function expectNothingInstalled(root: string) {
  expect(await new PackageManager({ root }).installed()).toEqual([]);
  const opt = path.join(root, 'opt/blueprint');
  expect(existsSync(opt) ? readdirSync(opt) : []).toEqual([]);
}

describe('install reads a package once (issue 20)', () => {
  it('a 16 MiB package from a folder repository: ~1x its size read and written, not 3x', async () => {
    const base = tempDir();
    const src = makeSource(path.join(base, 'src'), { name: 'big', version: '1.0.0' });
    // Random bytes: gzip cannot shrink them, so the archive is as large as what it unpacks to.
    writeFileSync(path.join(src, 'payload/blob'), randomBytes(16 * 1024 * 1024));
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [src]);
    const size = statSync(path.join(repo, 'pool/big/big_1.0.0_all.bpkg')).size;
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root });
    await pm.installed(); // the package manager's own first reads (keys, indexes) are not the package's

    const before = io();
    await pm.install(['big']);
    const after = io();

    const read = after.read - before.read;
    const written = after.written - before.written;
    // Once: the package's bytes plus the keys, the index and the records (well under 0.5x here).
    expect(read / size, `read ${read} bytes for a ${size}-byte package`).toBeLessThan(1.5);
    expect(written / size, `wrote ${written} bytes for a ${size}-byte package`).toBeLessThan(1.5);
    expect((await pm.installed())[0]).toMatchObject({ name: 'big', signer: key.fingerprint });
    expect((await pm.verify('big'))[0]?.ok).toBe(true);
    // No copy was kept in the cache either.
    const cache = path.join(root, 'var/cache/blueprint/packages');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('a hostile archive whose signature is bad is refused for its signature, the better answer', async () => {
    // Read through to its end although unpacking stopped at the first hostile entry: the
    // signature's verdict needs every byte hashed.
    const [, entries] = hostileArchives[0]!;
    const repo = tempDir();
    await publishRaw(repo, key, 'evil', '1.0.0', rawTar(entries));
    const pooled = path.join(repo, 'pool/evil/evil_1.0.0_all.bpkg');
    // A good signature by the same key over other bytes: the index's hash still matches the pool.
    const other = path.join(tempDir(), 'other.bpkg');
    writeFileSync(other, randomBytes(4096));
    await signFile(other, { keyFile: key.privateFile });
    writeFileSync(`${pooled}.asc`, readFileSync(`${other}.asc`));
    const root = await trustingRoot(key, repo);

    const err = await new PackageManager({ root }).install(['evil']).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(BlueprintError);
    expect((err as BlueprintError).code).toBe('bad-signature');
    await expectNothingInstalled(root);
  });

  it('the same hostile archive, rightly signed, is refused for what it holds', async () => {
    const [, entries, message] = hostileArchives[0]!;
    const repo = tempDir();
    await publishRaw(repo, key, 'evil', '1.0.0', rawTar(entries));
    const root = await trustingRoot(key, repo);

    const err = await new PackageManager({ root }).install(['evil']).catch((e: unknown) => e);

    expect((err as BlueprintError).code).toBe('unsafe-archive');
    expect((err as BlueprintError).message).toMatch(message);
    await expectNothingInstalled(root);
  });
});
