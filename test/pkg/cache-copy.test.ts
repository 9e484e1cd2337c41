/**
 * The package cache (var/cache/blueprint/packages) is not synced to disk after a download
 * (transport.ts): a copy torn by a power cut must never be used. Install no longer goes through
 * the cache (it streams a repository's package once: install-stream.ts), so a torn copy there
 * neither reaches an install nor is it rewritten by one; the cache's own users (`bpkg bundle`)
 * hash whatever lies there against the signed index and fetch it again when it does not match.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'good', version: '1.0.0', files: { 'share/data.bin': Buffer.alloc(256 * 1024, 7) } },
  ]));
});

const cacheDir = (root: string) => path.join(root, 'var/cache/blueprint/packages');
const signedSha = () =>
  (JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')) as { packages: { sha256: string }[] })
    .packages[0]!.sha256;

describe('package cache copies', () => {
  it.each([
    ['cut short', (f: string) => truncateSync(f, 1000)],
    ['empty', (f: string) => truncateSync(f, 0)],
    ['other bytes of the same size', (f: string) => writeFileSync(f, Buffer.alloc(readFileSync(f).length))],
  ])('a copy %s is fetched again, never unpacked', async (_, tear) => {
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root, yes: true });
    await pm.bundle(['good'], path.join(tempDir(), 'stick'));
    const [name] = readdirSync(cacheDir(root)).filter((f) => f.endsWith('.bpkg'));
    const copy = path.join(cacheDir(root), name!);
    tear(copy);
    await pm.install(['good']);
    expect(readFileSync(path.join(root, 'opt/blueprint/good/current/share/data.bin')).length).toBe(
      256 * 1024,
    );
    const again = await pm.bundle(['good'], path.join(tempDir(), 'stick'));
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(signedSha());
    const bundled = path.join(again.repositories[0]!.dir, 'pool/good', name!);
    expect(createHash('sha256').update(readFileSync(bundled)).digest('hex')).toBe(signedSha());
  });
});
