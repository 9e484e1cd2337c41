/**
 * Issue 11, finding 7: an index `path` with percent-encoded dots (`%2e%2e`) passed the `..` check
 * as text, and `fileURLToPath` (or any URL parser) decoded it into `..`: the package was read from
 * outside the repository folder. Paths are judged after decoding, and percent-encoding is refused.
 */
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { signFile } from '../../src/core/pkg/build.js';
import { parseIndex } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { joinUrl } from '../../src/core/pkg/transport.js';
import { evilIndexBytes } from '../helpers/index-cases.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

/** An index whose one entry has path `p`. */
const index = (p: string) => evilIndexBytes({}, { summary: 'x', path: p });

function refusal(fn: () => unknown): BlueprintError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BlueprintError);
    return err as BlueprintError;
  }
  throw new Error('expected a refusal');
}

describe('index paths are judged after decoding', () => {
  for (const p of [
    '%2e%2e/%2e%2e/etc/x.bpkg',
    'pkgs/%2E%2E/%2E%2E/x.bpkg',
    'pool/..%2f..%2fx.bpkg',
    'pool/%2f/etc/x.bpkg',
    'pool/a%5c..%5cx.bpkg',
    '%2e/x.bpkg',
    'pool/./x.bpkg',
    'pool//x.bpkg',
    'pool/x.bpkg?.asc',
    'pool/x.bpkg#frag',
    'pool/x\u0000.bpkg',
  ])
    it(`refuses ${JSON.stringify(p)} when the index is parsed`, () => {
      const err = refusal(() => parseIndex(index(p)));
      expect(err.code).toBe('bad-index');
      expect(err.message).toMatch(/packages\.0\.path/);
    });

  it('still accepts the paths `repo build` writes', () => {
    const parsed = parseIndex(index('pool/evil/evil_1.0.0+build.7_all.bpkg'));
    expect(parsed.packages[0]!.path).toBe('pool/evil/evil_1.0.0+build.7_all.bpkg');
  });
});

describe('the transport keeps a joined URL inside its repository', () => {
  for (const rel of ['%2e%2e/x.bpkg', 'a/%2E%2e/%2e%2E/x.bpkg', '../x.bpkg', 'a/../../x.bpkg', '/etc/passwd'])
    it(`refuses ${rel}`, () => {
      for (const base of ['file:///srv/repo', 'file:///srv/repo/', 'https://mirror.example/repo/'])
        expect(refusal(() => joinUrl(base, rel)).code).toBe('path-outside-repository');
    });

  it('joins ordinary paths as before', () => {
    expect(joinUrl('file:///srv/repo', 'pool/a/a_1.0.0_all.bpkg')).toBe(
      'file:///srv/repo/pool/a/a_1.0.0_all.bpkg',
    );
    expect(joinUrl('https://m.example/r/', 'index.json.asc')).toBe('https://m.example/r/index.json.asc');
    expect(fileURLToPath(joinUrl('file:///srv/re%20po', 'index.json'))).toBe('/srv/re po/index.json');
  });
});

it('a signed index whose path climbs out with %2e%2e is refused at update and nothing is read from outside', async () => {
  const base = tempDir('bp-pct-');
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'evil', version: '1.0.0' })]);
  // The package (and its signature) moved outside the repository folder, next to it.
  const inside = path.join(repo, 'pool/evil/evil_1.0.0_all.bpkg');
  const outside = path.join(base, 'outside/evil_1.0.0_all.bpkg');
  mkdirSync(path.dirname(outside), { recursive: true });
  copyFileSync(inside, outside);
  copyFileSync(`${inside}.asc`, `${outside}.asc`);
  const indexFile = path.join(repo, 'index.json');
  const idx = JSON.parse(readFileSync(indexFile, 'utf8'));
  idx.packages[0].path = '%2e%2e/outside/evil_1.0.0_all.bpkg';
  writeFileSync(indexFile, JSON.stringify(idx));
  await signFile(indexFile, { keyFile: key.privateFile });

  const root = tempDir('bp-pct-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  const [outcome] = await pm.update();
  expect(outcome?.ok).toBe(false);
  expect(outcome?.error?.code).toBe('bad-index');
  await expect(pm.install(['evil'])).rejects.toBeInstanceOf(BlueprintError);
  expect(await pm.installed()).toEqual([]);
});

describe('an index stored by an older version, which accepted such paths', () => {
  async function boxWithStoredIndex(version: number) {
    const base = tempDir('bp-pct-old-');
    const repo = path.join(base, 'repo');
    const src = makeSource(path.join(base, 'src'), { name: 'evil', version: '1.0.0' });
    await buildRepo(repo, key, [src]);
    const root = tempDir('bp-pct-old-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', pathToFileURL(repo).href);
    expect((await pm.update())[0]?.ok).toBe(true);
    // What the old parser let through and kept as the verified copy.
    const stored = path.join(root, 'var/lib/blueprint/pkg/lists/main/index.json');
    const idx = JSON.parse(readFileSync(stored, 'utf8'));
    idx.version = version;
    idx.packages[0].path = '%2e%2e/%2e%2e/elsewhere/evil_1.0.0_all.bpkg';
    writeFileSync(stored, JSON.stringify(idx));
    // Signed by the publisher (the old parser accepted it at update); older versions kept no
    // verified cache (src/core/pkg/index-cache.ts), so the kept index is verified and parsed again.
    await signFile(stored, { keyFile: key.privateFile });
    rmSync(path.join(path.dirname(stored), 'verified.json'));
    return { pm, repo };
  }

  it('is not used to fetch anything, and does not lock the box out of the fixed index', async () => {
    const { pm, repo } = await boxWithStoredIndex(1);
    expect(await pm.search('')).toEqual([]);
    await expect(pm.install(['evil'])).rejects.toBeInstanceOf(BlueprintError);
    await buildRepo(repo, key, []); // the publisher re-signs: version 2, paths as `repo build` writes them
    const [outcome] = await pm.update();
    expect(outcome?.ok, JSON.stringify(outcome)).toBe(true);
    await pm.install(['evil']);
    expect((await pm.installed()).map((p) => p.name)).toEqual(['evil']);
  });

  it('still guards against a rollback to an older index version', async () => {
    const { pm, repo } = await boxWithStoredIndex(7);
    await buildRepo(repo, key, []); // version 2 < the stored 7
    const [outcome] = await pm.update();
    expect(outcome?.ok).toBe(false);
    expect(outcome?.error?.code).toMatch(/rollback/);
  });
});

it('a file:// repository whose folder links a package path outside itself is refused at install', async () => {
  const base = tempDir('bp-pct-link-');
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'evil', version: '1.0.0' })]);
  // pool/evil becomes a link to a folder outside the repository holding the same files.
  const outside = path.join(base, 'outside');
  renameSync(path.join(repo, 'pool/evil'), outside);
  symlinkSync(outside, path.join(repo, 'pool/evil'));
  const root = tempDir('bp-pct-link-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  expect((await pm.update())[0]?.ok).toBe(true);
  const err = await pm.install(['evil']).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe('path-outside-repository');
  expect(await pm.installed()).toEqual([]);
});

it('a repository reached through a linked folder still works (links are resolved on both sides)', async () => {
  const base = tempDir('bp-pct-link-');
  const real = path.join(base, 'real-repo');
  await buildRepo(real, key, [makeSource(path.join(base, 'src'), { name: 'good', version: '1.0.0' })]);
  symlinkSync(real, path.join(base, 'repo'));
  const root = tempDir('bp-pct-link-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(path.join(base, 'repo')).href);
  expect((await pm.update())[0]?.ok).toBe(true);
  await pm.install(['good']);
  expect((await pm.installed()).map((p) => p.name)).toEqual(['good']);
});
