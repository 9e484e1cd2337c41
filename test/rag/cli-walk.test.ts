import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectFiles, readFound } from '../../src/core/system/walk.js';
import { tempDir } from '../helpers/pkg.js';

// The files `blueprint rag ingest PATH...` sends (src/core/system/walk.ts): a folder's files by
// extension, never a link that leads out of it, each read once as the regular file that was found.
const EXT = ['.txt', '.md', '.pdf'];

function tree() {
  const base = tempDir('bp-rag-walk-');
  const docs = join(base, 'docs');
  mkdirSync(join(docs, 'sub/deeper'), { recursive: true });
  writeFileSync(join(docs, 'b.md'), '# b\n');
  writeFileSync(join(docs, 'a.txt'), 'a\n');
  writeFileSync(join(docs, 'image.png'), 'png');
  writeFileSync(join(docs, 'sub/c.PDF'), '%PDF-1.4');
  writeFileSync(join(docs, 'sub/deeper/d.md'), 'd');
  writeFileSync(join(base, 'secret.txt'), 'host secret\n');
  return { base, docs };
}

describe('collectFiles', () => {
  it('walks folders recursively in name order, by extension (any case), naming files below the folder', async () => {
    const { docs } = tree();
    const { files, refused } = await collectFiles([docs], EXT);
    expect(files.map((f) => [f.name, f.ext])).toEqual([
      ['docs/a.txt', '.txt'],
      ['docs/b.md', '.md'],
      ['docs/sub/c.PDF', '.pdf'],
      ['docs/sub/deeper/d.md', '.md'],
    ]);
    expect(refused).toEqual([]);
  });

  it('a folder named through a link is walked as its target, its files named under the name given', async () => {
    const { base, docs } = tree();
    symlinkSync(docs, join(base, 'alias'));
    const { files } = await collectFiles([join(base, 'alias')], EXT);
    expect(files.map((f) => [f.name, f.path])).toContainEqual(['alias/a.txt', join(docs, 'a.txt')]);
  });

  it('attack: a link out of the folder (to a file, a folder, or nowhere) is refused and named; a link inside is taken', async () => {
    const { base, docs } = tree();
    symlinkSync(join(base, 'secret.txt'), join(docs, 'leak.txt'));
    symlinkSync('../secret.txt', join(docs, 'sub/relative-leak.md'));
    symlinkSync(base, join(docs, 'up')); // a folder link: not descended (leak.txt would be seen twice)
    symlinkSync(join(docs, 'a.txt'), join(docs, 'z-alias.txt'));
    symlinkSync(join(base, 'missing.txt'), join(docs, 'dangling.txt'));
    const { files, refused } = await collectFiles([docs], EXT);
    expect(files.map((f) => f.name)).toEqual([
      'docs/a.txt',
      'docs/b.md',
      'docs/sub/c.PDF',
      'docs/sub/deeper/d.md',
      'docs/z-alias.txt',
    ]);
    expect(files.at(-1)!.path).toBe(join(docs, 'a.txt')); // opened as its real path
    expect(refused.map((r) => [r.name, r.error.code])).toEqual([
      ['docs/dangling.txt', 'link-outside'],
      ['docs/leak.txt', 'link-outside'],
      ['docs/sub/relative-leak.md', 'link-outside'],
    ]);
    expect(files.some((f) => f.path.endsWith('secret.txt'))).toBe(false);
  });

  it('a FIFO with a wanted name is refused, not opened (it would block)', async () => {
    const { docs } = tree();
    execFileSync('mkfifo', [join(docs, 'pipe.md')]);
    const { files, refused } = await collectFiles([docs], EXT);
    expect(files.map((f) => f.name)).not.toContain('docs/pipe.md');
    expect(refused.map((r) => [r.name, r.error.code])).toEqual([['docs/pipe.md', 'not-a-file']]);
  });

  it('a file named directly must be of a wanted type; a missing path is refused; the others still go', async () => {
    const { base, docs } = tree();
    const { files, refused } = await collectFiles(
      [join(docs, 'image.png'), join(base, 'nope.md'), join(docs, 'b.md')],
      EXT,
    );
    expect(files.map((f) => f.name)).toEqual([join(docs, 'b.md')]);
    expect(refused.map((r) => [r.name, r.error.code, r.error.exitCode])).toEqual([
      [join(docs, 'image.png'), 'usage', 2],
      [join(base, 'nope.md'), 'not-found', 3],
    ]);
  });
});

describe('readFound', () => {
  it('reads the file found, once, whole', async () => {
    const { docs } = tree();
    const { files } = await collectFiles([join(docs, 'b.md')], EXT);
    expect((await readFound(files[0]!, 1024)).toString()).toBe('# b\n');
  });

  it('attack: a file swapped for a link (or another file) after the walk is refused', async () => {
    const { base, docs } = tree();
    const { files } = await collectFiles([docs], EXT);
    const a = files.find((f) => f.name === 'docs/a.txt')!;
    rmSync(a.path);
    symlinkSync(join(base, 'secret.txt'), a.path);
    await expect(readFound(a, 1024)).rejects.toMatchObject({ code: 'changed' });
    const b = files.find((f) => f.name === 'docs/b.md')!;
    writeFileSync(join(base, 'other.md'), 'other'); // made while b exists: another inode
    execFileSync('mv', [join(base, 'other.md'), b.path]);
    expect(statSync(b.path).ino).not.toBe(b.ino);
    await expect(readFound(b, 1024)).rejects.toMatchObject({ code: 'changed' });
  });

  it('refuses a file over the limit rather than cut it', async () => {
    const { docs } = tree();
    writeFileSync(join(docs, 'big.txt'), 'x'.repeat(2000));
    const { files } = await collectFiles([join(docs, 'big.txt')], EXT);
    await expect(readFound(files[0]!, 1000)).rejects.toMatchObject({ code: 'usage' });
  });
});
