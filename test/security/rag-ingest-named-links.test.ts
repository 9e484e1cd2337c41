import { chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFiles, readFound } from '../../src/core/system/walk.js';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { linkFolders, NOBODY, SECRET } from '../helpers/owned-folders.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ingest PATH` runs as root and sends what it reads to the rag module, whose every
 * client can then ask about it. Links below a folder are followed only to files inside it, but
 * the links on the path named were all followed, as if the admin had put them there: another user
 * who owns a folder on that path (their home, a shared documents folder) made the name the admin
 * was to send a link to a root-only file or folder (a key, /root's notes), and root's read sent it
 * to the index, for that user to ask back. A link on the named path is now followed only where it
 * sits in a folder that no one but root (or the caller) can change, as the kernel's
 * protected_symlinks judges /tmp and safe-write.ts judges a secret's folders; elsewhere it is
 * refused before anything is read.
 */
const folders = linkFolders('bp-rag-named-links-');
const { base, privateDir, theirs, mine, sticky } = folders;
/** Another user's folder is made by chown: as root only. */
const asRoot = process.getuid?.() === 0;

beforeAll(() => {
  if (!asRoot) return;
  // Root's own: a 0700 folder holding a 0600 file; root's 0755 folder; a sticky one open to all.
  folders.make(['secret.txt']);
  // Another user's folder, with their links in it.
  mkdirSync(join(theirs, 'docs-real'), { recursive: true });
  writeFileSync(join(theirs, 'docs-real', 'readme.txt'), 'their own readme\n');
  symlinkSync(join(privateDir, 'secret.txt'), join(theirs, 'notes.txt'));
  symlinkSync(privateDir, join(theirs, 'docs'));
  symlinkSync(privateDir, join(theirs, 'sub'));
  chownSync(theirs, NOBODY, NOBODY);
  // Root's own folder (0755) with a link of root's to the private folder: the admin's link, followed.
  symlinkSync(privateDir, join(mine, 'docs'));
  // A world-writable sticky folder (/tmp): anyone's links.
  symlinkSync(join(privateDir, 'secret.txt'), join(sticky, 'notes.txt'));
});

async function sent(paths: string[]): Promise<{ read: string[]; refused: string[] }> {
  const { files, refused } = await collectFiles(paths, ['.txt']);
  const read = await Promise.all(files.map(async (f) => (await readFound(f, 1024)).toString()));
  return { read, refused: refused.map((r) => r.error.code) };
}

describe.skipIf(!asRoot)('links on a path named to rag ingest', () => {
  it("a link in another user's folder to a root-only file is not followed", async () => {
    const r = await sent([join(theirs, 'notes.txt')]);
    expect(r.read).not.toContain(SECRET);
    expect(r.refused).toEqual(['unsafe-link']);
  });

  it("a link in another user's folder to a root-only folder is not walked", async () => {
    const r = await sent([join(theirs, 'docs')]);
    expect(r.read).not.toContain(SECRET);
    expect(r.refused).toEqual(['unsafe-link']);
  });

  it("a link earlier on the path (another user's folder) is not followed either", async () => {
    const r = await sent([join(theirs, 'sub', 'secret.txt')]);
    expect(r.read).not.toContain(SECRET);
    expect(r.refused).toEqual(['unsafe-link']);
  });

  it('a link in a sticky folder open to all (/tmp) is anyone’s: not followed', async () => {
    const r = await sent([join(sticky, 'notes.txt')]);
    expect(r.read).not.toContain(SECRET);
    expect(r.refused).toEqual(['unsafe-link']);
  });

  it("their own files are still sent, and root's links in root's folders still followed", async () => {
    expect(await sent([join(theirs, 'docs-real')])).toEqual({ read: ['their own readme\n'], refused: [] });
    expect(await sent([join(mine, 'docs')])).toEqual({ read: [SECRET], refused: [] });
    expect(await sent([join(mine, 'docs', 'secret.txt')])).toEqual({ read: [SECRET], refused: [] });
    expect(await sent([join(base, 'nowhere.txt')])).toEqual({ read: [], refused: ['not-found'] });
  });
});

describe.skipIf(!asRoot)('blueprint rag ingest, end to end', () => {
  const root = tempDir('bp-rag-named-links-root-');
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `doc-${bodies.length}`, source: 'x', chunks: 1 }));
    });
  });
  beforeAll(async () => {
    const dir = installedRag(root);
    await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
  });
  afterAll(() => server.close());

  it("the module never receives the root-only file another user's link named", async () => {
    const r = await runCliHere([
      '--root',
      root,
      'rag',
      'ingest',
      join(theirs, 'notes.txt'),
      join(theirs, 'docs'),
    ]);
    expect(bodies).not.toContain(SECRET);
    expect(r.code).toBe(1);
    expect(r.err).toContain('a link in a folder another user can change');
  });
});
