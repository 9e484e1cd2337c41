/**
 * A crafted --root tree whose catalog folder, or its keys/ folder, is a link out of where it must
 * be is refused (catalog-link-escapes, test/security/catalog-reads.test.ts). The refusal reaches the
 * admin setting up the image: like every other catalog refusal it must say what to do next (a hint),
 * not only what is wrong.
 */
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/core/setup/catalog.js';
import { rootsPerTest } from '../helpers/roots.js';
import { CATALOG, makeCatalog } from '../setup/catalog-fixture.js';

const t = rootsPerTest('cat-hints');

describe('a catalog link out of its place is refused with a hint', () => {
  it('a link at keys/ to a folder outside the root', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    renameSync(path.join(dir, 'keys'), path.join(t.work, 'keys'));
    symlinkSync(path.join(t.work, 'keys'), path.join(dir, 'keys'));
    await expect(readCatalog(t.root)).rejects.toMatchObject({
      code: 'catalog-link-escapes',
      hint: expect.stringMatching(/\S/),
    });
  });

  it('a link at the catalog folder to a folder outside the root', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    const outside = path.join(t.work, 'catalog');
    renameSync(dir, outside);
    symlinkSync(outside, path.join(t.root, CATALOG));
    await expect(readCatalog(t.root)).rejects.toMatchObject({
      code: 'catalog-link-escapes',
      hint: expect.stringMatching(/\S/),
    });
    rmSync(path.join(t.root, CATALOG));
  });
});
