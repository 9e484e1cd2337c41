/**
 * Issue 18: listing the offline catalog reads no package archive (213 MB on the image, minutes
 * under TCG). What each module needs comes from needs.json, written when the catalog is built and
 * signed by the catalog's key like the index; the archives are verified at install, as always.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/core/setup/catalog.js';
import { NEEDS_FILE, writeCatalogNeeds } from '../../src/core/setup/catalog-needs.js';
import { rootsPerTest } from '../helpers/roots.js';
import { makeCatalog } from './catalog-fixture.js';

const t = rootsPerTest('cat-idx');

/** Every package archive in the catalog replaced by a folder of the same name: nothing can read it. */
async function makeArchivesUnreadable(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(path.join(dir, 'pool'))) {
    for (const f of await readdir(path.join(dir, 'pool', name))) {
      if (!f.endsWith('.bpkg')) continue;
      await rm(path.join(dir, 'pool', name, f));
      await mkdir(path.join(dir, 'pool', name, f));
      n++;
    }
  }
  return n;
}

describe('the offline catalog listed from signed files only', () => {
  it('lists sizes, memory, disk and GPU use with every package archive unreadable', async () => {
    const { key, dir } = await makeCatalog(t.root, t.work, { imageBytes: 300_000 });
    const before = await readCatalog(t.root);
    await writeCatalogNeeds(dir, { keyFile: key.privateFile });
    expect(await makeArchivesUnreadable(dir)).toBe(2);
    const after = await readCatalog(t.root);
    expect(after!.entries).toEqual(before!.entries);
    const beta = after!.entries.find((e) => e.name === 'beta')!;
    expect(beta).toMatchObject({ gpu: 'optional', imageBytes: 300_000, memoryBytes: 1024 ** 3 });
    expect(beta.problem).toBeUndefined();
    expect(beta.packageBytes).toBeGreaterThan(0);
  });

  it('refuses a needs.json changed after it was signed', async () => {
    const { key, dir } = await makeCatalog(t.root, t.work);
    await writeCatalogNeeds(dir, { keyFile: key.privateFile });
    const file = path.join(dir, NEEDS_FILE);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"memoryBytes": 1073741824');
    await writeFile(file, text.replace('"memoryBytes": 1073741824', '"memoryBytes": 1'));
    await expect(readCatalog(t.root)).rejects.toThrow(/signature/i);
  });

  it('a package needs.json does not describe (another build of it) is read from its archive', async () => {
    const { key, dir } = await makeCatalog(t.root, t.work);
    await writeCatalogNeeds(dir, { keyFile: key.privateFile });
    const file = path.join(dir, NEEDS_FILE);
    const needs = JSON.parse(await readFile(file, 'utf8'));
    expect(needs.packages.map((p: { name: string }) => p.name).sort()).toEqual(['alpha', 'beta']);
    // Signed again by the catalog key, with beta's record for another archive.
    needs.packages = needs.packages.map((p: { name: string; sha256: string }) =>
      p.name === 'beta' ? { ...p, sha256: '0'.repeat(64) } : p,
    );
    await writeFile(file, JSON.stringify(needs));
    const { signFile } = await import('../../src/core/pkg/build.js');
    await signFile(file, { keyFile: key.privateFile });
    await makeArchivesUnreadable(dir);
    const entries = (await readCatalog(t.root))!.entries;
    expect(entries.find((e) => e.name === 'alpha')!.problem).toBeUndefined();
    expect(entries.find((e) => e.name === 'beta')!.problem).toBeDefined();
  });
});
