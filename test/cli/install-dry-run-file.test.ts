/**
 * `bpkg install --dry-run ./x.bpkg` changes nothing on disk. It made a private copy of the file in
 * the package cache and removed it again (the cache folder made when missing, its mtime changed
 * otherwise), so a dry run wrote to the box it claimed to leave alone, and needed a cache it could
 * write. Now the file is read once and its signature, SHA-256 and manifest all come from that one
 * read, with no copy anywhere. The install of a file still reads it into its private copy.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkgBox, installedNames } from '../helpers/bpkg-box.js';
import { bpkg, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';
import { errorLine } from '../helpers/two-repos.js';

let key: TestKey;
let repo: string;
let file: string;

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'base', version: '1.0.0' },
    { name: 'good', version: '1.0.0' },
  ]));
  const found = (name: string) =>
    path.join(
      repo,
      (readdirSync(repo, { recursive: true }) as string[]).find((f) =>
        new RegExp(`^(.*/)?${name}_1\\.0\\.0_.*\\.bpkg$`).test(f),
      )!,
    );
  file = found('base');
});

const freshRoot = () => bpkgBox('bp-dry-file-', key, repo);

const cacheOf = (root: string) => path.join(root, 'var/cache/blueprint/packages');

describe('bpkg install --dry-run FILE', () => {
  it('plans from the file and writes nothing: no cache folder made, no copy made in one', async () => {
    const root = await freshRoot();
    rmSync(cacheOf(root), { recursive: true, force: true });
    let before = treeHash(root);
    const r = await bpkg(root, ['install', '--dry-run', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^base\s+1\.0\.0\s+file/m);
    expect(r.stdout).toMatch(/Signed by|nothing was changed/);
    expect(treeHash(root)).toEqual(before);

    // The cache there: a copy made and removed in it would change its mtime (the snapshot holds it).
    mkdirSync(cacheOf(root), { recursive: true });
    before = treeHash(root);
    const json = await bpkg(root, ['--json', 'install', '--dry-run', file]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).changes).toEqual([
      expect.objectContaining({ name: 'base', to: '1.0.0', repo: 'file', file }),
    ]);
    expect(treeHash(root)).toEqual(before);

    // A cache that cannot be written at all (root ignores mode bits: a file where the folder goes).
    rmSync(cacheOf(root), { recursive: true });
    writeFileSync(cacheOf(root), 'not a folder');
    before = treeHash(root);
    const ro = await bpkg(root, ['install', '--dry-run', file]);
    expect(ro.code, ro.stderr).toBe(0);
    expect(treeHash(root)).toEqual(before);
    expect(await installedNames(root)).toEqual([]);
  });

  it('a file whose signature does not hold is refused as the install refuses it, nothing written', async () => {
    const root = await freshRoot();
    const dir = tempDir('bp-stick-');
    const forged = path.join(dir, path.basename(file));
    copyFileSync(file, forged);
    // good's signature beside base's bytes: a good signature, but not over this file.
    const goodFile = file.replace(/base_1\.0\.0_/, 'good_1.0.0_').replace(/\/base\//, '/good/');
    copyFileSync(`${goodFile}.asc`, `${forged}.asc`);
    mkdirSync(cacheOf(root), { recursive: true });
    const before = treeHash(root);
    const dry = await bpkg(root, ['install', '--dry-run', forged]);
    expect(treeHash(root)).toEqual(before);
    const real = await bpkg(root, ['install', '--yes', forged]);
    expect(real.code, real.stdout).toBe(4);
    expect(dry.code, dry.stdout).toBe(real.code);
    expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
    expect(await installedNames(root)).toEqual([]);
  });

  it('the install of the file itself still works', async () => {
    const root = await freshRoot();
    const r = await bpkg(root, ['install', '--yes', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(await installedNames(root)).toEqual(['base']);
    // Its private copy is gone again.
    expect(readdirSync(cacheOf(root)).filter((f) => f.startsWith('.local-'))).toEqual([]);
  });
});
