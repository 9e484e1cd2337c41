/**
 * The offline catalog's files (ROOT/usr/share/blueprint/catalog: its key, index, needs.json, their
 * signatures and the package archives) are read by setup, as root, from whatever tree `--root`
 * names: a crafted tree (an image mounted to be set up) must not make it read a file outside the
 * root through a link, wait for good on a FIFO, or hash a 1 TiB sparse file whole.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, renameSync, symlinkSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/core/setup/catalog.js';
import { writeCatalogNeeds } from '../../src/core/setup/catalog-needs.js';
import { rootsPerTest } from '../helpers/roots.js';
import { CATALOG, makeCatalog } from '../setup/catalog-fixture.js';

const t = rootsPerTest('cat-reads');

/** FIFOs a test made: opened for writing after it, so a reader the old code left waiting in open(2) is let go. */
const fifos: string[] = [];
afterEach(() => {
  for (const f of fifos.splice(0)) {
    try {
      closeSync(openSync(f, constants.O_RDWR | constants.O_NONBLOCK));
    } catch {}
  }
});

/** What `p` settled as, or 'still waiting' after `ms`: a read that waits for good never settles. */
const settled = <T>(p: Promise<T>, ms = 5000): Promise<T | Error | 'still waiting'> =>
  Promise.race([
    p.catch((err: Error) => err),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);

/** The first package archive of the catalog (pool/NAME/FILE.bpkg). */
function firstArchive(dir: string): string {
  const pool = path.join(dir, 'pool');
  const name = readdirSync(pool).sort()[0]!;
  const file = readdirSync(path.join(pool, name)).find((f) => f.endsWith('.bpkg'))!;
  return path.join(pool, name, file);
}

describe('the offline catalog reads only plain files below the root', () => {
  it.each(['keys/KEY.pub.asc', 'index.json', 'index.json.asc', 'needs.json', 'needs.json.asc'])(
    'a link at %s to the same file moved outside the root is not followed',
    async (name) => {
      const { key, dir } = await makeCatalog(t.root, t.work);
      await writeCatalogNeeds(dir, { keyFile: key.privateFile });
      const rel = name.replace('KEY', key.fingerprint);
      // The genuine signed file, now outside the root: read through the link, the catalog would list.
      const outside = path.join(t.work, 'outside');
      renameSync(path.join(dir, rel), outside);
      symlinkSync(outside, path.join(dir, rel));
      await expect(readCatalog(t.root)).rejects.toMatchObject({
        code: 'unsafe-link',
        message: expect.stringContaining(path.join(CATALOG, rel)),
      });
    },
  );

  it('a link at keys/ to the same folder moved outside the root is not followed', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    renameSync(path.join(dir, 'keys'), path.join(t.work, 'keys'));
    symlinkSync(path.join(t.work, 'keys'), path.join(dir, 'keys'));
    await expect(readCatalog(t.root)).rejects.toMatchObject({ code: 'catalog-link-escapes' });
  });

  it.each(['index.json', 'needs.json'])(
    'a FIFO as %s is refused at once, not waited on',
    async (name) => {
      const { key, dir } = await makeCatalog(t.root, t.work);
      await writeCatalogNeeds(dir, { keyFile: key.privateFile });
      const fifo = path.join(dir, name);
      renameSync(fifo, path.join(t.work, 'moved'));
      execFileSync('mkfifo', [fifo]);
      fifos.push(fifo);
      const r = await settled(readCatalog(t.root));
      expect(r).toMatchObject({ code: 'not-a-file', message: expect.stringContaining('not a regular file') });
    },
    20_000,
  );

  it('a FIFO as a package archive is that entry’s problem, not a wait for good', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    const archive = firstArchive(dir);
    renameSync(archive, path.join(t.work, 'moved.bpkg'));
    execFileSync('mkfifo', [archive]);
    fifos.push(archive);
    const r = await settled(readCatalog(t.root));
    if (r === 'still waiting' || r instanceof Error) throw new Error(`readCatalog: ${String(r)}`);
    expect(r!.entries.map((e) => e.problem)).toEqual(['its package file is not a regular file', undefined]);
  }, 20_000);

  // Last in the file: the code before this test read the whole TiB (tens of minutes of hashing).
  it('a 1 TiB sparse file as a package archive is judged by its size, not read', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    truncateSync(firstArchive(dir), 1024 ** 4);
    const r = await settled(readCatalog(t.root));
    if (r === 'still waiting' || r instanceof Error) throw new Error(`readCatalog: ${String(r)}`);
    expect(r!.entries.map((e) => e.problem)).toEqual([
      'its package file does not match the signed index',
      undefined,
    ]);
  }, 20_000);
});
