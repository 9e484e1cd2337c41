/**
 * `blueprint rag ingest FOLDER` walks a folder others may write (a shared documents folder) and
 * sends what it finds to the rag module. A user who owns a folder below it can swap that folder
 * for a link to one they cannot read (/root) while the walk runs, after it listed the folder and
 * before it looked at the file: every later step (lstat for the inode, open with O_NOFOLLOW, which
 * guards the last name only) then goes through the link, and the admin's private file was sent.
 * The swap is made at that moment by a wrapped lstat: the attacker's timing, every file real.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/pkg.js';

const swap = { at: '', folder: '', to: '' };

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const lstat = (async (p: string, ...rest: []) => {
    if (swap.at && p === swap.at) {
      // The attacker's move: their folder, already listed, becomes a link to the private one.
      renameSync(swap.folder, `${swap.folder}.was`);
      symlinkSync(swap.to, swap.folder);
      swap.at = '';
    }
    return real.lstat(p, ...rest);
  }) as typeof real.lstat;
  return { ...real, lstat, default: { ...real, lstat } };
});

const { collectFiles, readFound } = await import('../../src/core/system/walk.js');

describe('a folder below the one sent swapped for a link during the walk', () => {
  it('the file then reached through the link is refused, not read', async () => {
    const base = tempDir('bp-walk-swap-');
    const shared = path.join(base, 'shared');
    const mine = path.join(shared, 'mallory');
    const privateDir = path.join(base, 'root-only');
    mkdirSync(mine, { recursive: true });
    mkdirSync(privateDir);
    writeFileSync(path.join(mine, 'notes.txt'), 'harmless\n');
    writeFileSync(path.join(privateDir, 'notes.txt'), 'the admin’s private notes\n');
    Object.assign(swap, { at: path.join(mine, 'notes.txt'), folder: mine, to: privateDir });

    const { files } = await collectFiles([shared], ['.txt']);
    expect(swap.at).toBe(''); // the swap happened
    const found = files.find((f) => f.name === 'shared/mallory/notes.txt')!;
    const read = await readFound(found, 1024).then(
      (bytes) => bytes.toString(),
      (err: { code: string }) => err.code,
    );
    expect(read).toBe('changed');
  });
});

describe('a file swapped for a link after the walk found it', () => {
  it('is refused as changed, with what to do next', async () => {
    const base = tempDir('bp-walk-link-');
    const docs = path.join(base, 'docs');
    mkdirSync(docs);
    writeFileSync(path.join(docs, 'a.txt'), 'mine\n');
    writeFileSync(path.join(base, 'secret.txt'), 'not to be sent\n');
    const { files } = await collectFiles([docs], ['.txt']);
    const found = files.find((f) => f.name === 'docs/a.txt')!;
    renameSync(found.path, `${found.path}.was`);
    symlinkSync(path.join(base, 'secret.txt'), found.path);
    await expect(readFound(found, 1024)).rejects.toMatchObject({
      code: 'changed',
      hint: expect.stringMatching(/again/),
    });
  });
});
