import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { copyHashed, openUntrusted } from '../../src/core/system/copy-hashed.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

/**
 * `bpkg install ./x.bpkg` reads the file once, into a private copy in the package cache. That copy
 * had no bound: a 1 TiB sparse file on a stick was copied until the disk was full (then removed,
 * but meanwhile every other service on the box saw a full disk). Now the size the file's own
 * descriptor gives is judged first: more than a package can hold, or more than the cache's file
 * system can take and keep its reserve, is refused before a byte is copied.
 *
 * The box root is a small tmpfs (the cache's file system, 128 MiB), so the attack files are real
 * sparse files on the ordinary disk and a copy that is not refused fills only that tmpfs.
 */
let key: TestKey;
let stick: string;
let root: string;
let small: string | undefined;

beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  const base = tempDir();
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'tool', version: '1.0.0' })]);
  stick = tempDir('bp-stick-');
  for (const f of ['tool_1.0.0_all.bpkg', 'tool_1.0.0_all.bpkg.asc'])
    copyFileSync(path.join(repo, 'pool/tool', f), path.join(stick, f));
  const mnt = path.join(tempDir('bp-small-'), 'disk');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128m', 'tmpfs', mnt], { stdio: 'pipe' });
    small = mnt;
  } catch {
    // No root or no mount(2): the attacks are skipped (unrefused, they would fill this disk).
  }
  root = path.join(mnt, 'root');
  await new PackageManager({ root }).keyring.add(key.publicKey, key.fingerprint);
});

afterAll(() => {
  if (small) execFileSync('umount', [small]);
});

/** A sparse file of `bytes` on the stick, a `.asc` beside it (never reached: the copy comes first). */
function sparse(name: string, bytes: number): string {
  const file = path.join(stick, name);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  writeFileSync(`${file}.asc`, 'not a signature');
  return file;
}

/** Private copies (`.local-*`) anywhere under the box root: none may outlive a refusal. */
const cacheLeftovers = () =>
  readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
    path.basename(f).startsWith('.local-'),
  );

/** The error an install was refused with (an install that goes through fails the test). */
const refusal = (install: Promise<unknown>) =>
  install.then(
    () => {
      throw new Error('installed: not refused');
    },
    (e: unknown) => e as { message: string; hint?: string; cause?: unknown },
  );

const freeOnSmall = () => {
  const s = statfsSync(small as string);
  return s.bavail * s.bsize;
};

describe('a local .bpkg is judged by its size before it is copied into the cache', () => {
  it('a 1 TiB sparse file is refused as too big for a package, nothing copied', async (t) => {
    if (!small) t.skip('needs root and mount(2) to make a small tmpfs');
    const huge = sparse('huge_1.0.0_all.bpkg', 1024 ** 4);
    try {
      const err = await refusal(new PackageManager({ root }).install([huge]));
      expect(err).toMatchObject({ code: 'too-big', exitCode: 4 });
      expect(err.message).toContain('1024.0 GiB');
      expect(err.hint).toEqual(expect.stringContaining('nothing was installed'));
      expect(cacheLeftovers()).toEqual([]);
    } finally {
      rmSync(huge, { force: true });
      rmSync(`${huge}.asc`, { force: true });
    }
  });

  it('a file the cache cannot take and keep its reserve is refused before a byte is copied', async (t) => {
    if (!small) t.skip('needs root and mount(2) to make a small tmpfs');
    // 256 MiB: far under the package bound, twice the whole cache file system; needed: it and the reserve.
    const big = sparse('big_1.0.0_all.bpkg', 256 * 1024 ** 2);
    const before = freeOnSmall();
    try {
      const err = await refusal(new PackageManager({ root }).install([big]));
      expect(err).toMatchObject({ code: 'disk-full', exitCode: 7 });
      // Refused on the fstat, not after the disk filled: no ENOSPC behind it, the need said up front.
      expect(err.cause).toBeUndefined();
      expect(err.message).toMatch(
        /: 0\.31 GiB needed under \S*\/var\/cache\/blueprint\/packages, 0\.1\d GiB free$/,
      );
      expect(err.hint).toEqual(expect.stringContaining('nothing was installed'));
      expect(cacheLeftovers()).toEqual([]);
      expect(freeOnSmall()).toBe(before);
    } finally {
      rmSync(big, { force: true });
      rmSync(`${big}.asc`, { force: true });
    }
  });

  it('a package that fits is still installed from the same small disk', async () => {
    const pm = new PackageManager({ root });
    await pm.install([path.join(stick, 'tool_1.0.0_all.bpkg')]);
    expect((await pm.installed()).map((p) => [p.name, p.origin])).toEqual([['tool', 'file']]);
    expect(cacheLeftovers()).toEqual([]);
  });
});

describe('the copy is held to the size that was judged', () => {
  it('a file that grows after its fstat is refused, and no more than that size is written', async () => {
    const dir = tempDir('bp-grow-');
    const src = path.join(dir, 'grows.bpkg');
    writeFileSync(src, Buffer.alloc(10 * 1024 ** 2, 1));
    const { input, size } = await openUntrusted(src, { missing: '', notAFile: '' });
    // Grows between the fstat (the size judged against the free space) and the read.
    appendFileSync(src, Buffer.alloc(64 * 1024 ** 2, 2));
    const out = await open(path.join(dir, 'copy'), 'wx');
    try {
      await expect(
        copyHashed(input, out, size, { grew: () => new Error('grew while read') }),
      ).rejects.toThrow('grew while read');
    } finally {
      await input.close();
      await out.close();
    }
    expect(size).toBe(10 * 1024 ** 2);
    expect(statSync(path.join(dir, 'copy')).size).toBeLessThanOrEqual(size);
    rmSync(dir, { recursive: true, force: true });
  });
});
