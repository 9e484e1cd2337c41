import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/lint.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint module lint DIR` is what a reviewer runs on someone else's module (and `repo build`
 * lints each module it builds): the folder is its author's, and git carries symbolic links. lint
 * read the module's own files through them: `payload/models` (or a folder below it) a link to a
 * folder of the reviewer's had every file there listed and hashed into the report ("add
 * "models/…": "SHA-256""), Node's recursive readdir descending into links to folders; a
 * manifest.json that is a link to another file had V8's JSON error quote that file's first
 * characters; a Containerfile that is a link to a FIFO (or /dev/stdin) held lint for good. The
 * module's files are now read as untrusted files: no link followed out of the module, no FIFO
 * waited on, bounded.
 */

const settled = <T>(p: Promise<T>, ms = 8000): Promise<T | Error | 'still waiting'> =>
  Promise.race([
    p.catch((err: Error) => err),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);

function module() {
  const dir = path.join(tempDir('bp-lint-own-'), 'theirs');
  cpSync(new URL('../../modules/hello', import.meta.url).pathname, dir, { recursive: true });
  // The reviewer's own folder, outside the module.
  const mine = tempDir('bp-lint-reviewer-');
  const secret = 'hunter2-reviewer-only\n';
  writeFileSync(path.join(mine, 'notes.txt'), secret);
  const sha = createHash('sha256').update(secret).digest('hex');
  return { dir, mine, sha };
}

const text = (r: unknown) => JSON.stringify(r);

describe("module lint reads the module's own files without following links out of it", () => {
  it('payload/models a link to a folder elsewhere: nothing there is listed or hashed', async () => {
    const { dir, mine, sha } = module();
    mkdirSync(path.join(dir, 'payload'));
    symlinkSync(mine, path.join(dir, 'payload/models'));
    const r = await settled(lintModule(dir));
    expect(r).toMatchObject({ ok: false });
    expect(text(r)).not.toContain(sha);
    expect(text(r)).not.toContain('notes.txt');
    expect(r).toMatchObject({
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'payload/models', message: expect.stringMatching(/link/) }),
      ]),
    });
  });

  it('a link to a folder elsewhere below payload/models: not descended', async () => {
    const { dir, mine, sha } = module();
    mkdirSync(path.join(dir, 'payload/models'), { recursive: true });
    symlinkSync(mine, path.join(dir, 'payload/models/tiny'));
    const r = await settled(lintModule(dir));
    expect(text(r)).not.toContain(sha);
    expect(text(r)).not.toContain('notes.txt');
    expect(r).toMatchObject({ ok: false });
    expect(r).toMatchObject({
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'payload/models/tiny', message: expect.stringMatching(/link/) }),
      ]),
    });
  });

  it('a link that stays inside payload/ is not an error (only one leading out is)', async () => {
    const { dir } = module();
    mkdirSync(path.join(dir, 'payload/models'), { recursive: true });
    writeFileSync(path.join(dir, 'payload/models/real.bin'), 'weights');
    symlinkSync('real.bin', path.join(dir, 'payload/models/alias.bin'));
    const manifest = path.join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    m.files = { 'models/real.bin': createHash('sha256').update('weights').digest('hex') };
    writeFileSync(manifest, JSON.stringify(m));
    const r = await settled(lintModule(dir));
    expect(r).toMatchObject({ ok: true, errors: [] });
  });

  it('manifest.json a link to a file elsewhere: not read', async () => {
    const { dir, mine } = module();
    rmSync(path.join(dir, 'manifest.json'));
    symlinkSync(path.join(mine, 'notes.txt'), path.join(dir, 'manifest.json'));
    const r = await settled(lintModule(dir));
    expect(text(r)).not.toContain('hunter2');
    expect(r).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ field: 'manifest.json', message: expect.stringMatching(/link/) })],
    });
  });

  it('Containerfile a link to a FIFO: lint does not wait on it', async () => {
    const { dir, mine } = module();
    execFileSync('mkfifo', [path.join(mine, 'fifo')]);
    rmSync(path.join(dir, 'Containerfile'));
    symlinkSync(path.join(mine, 'fifo'), path.join(dir, 'Containerfile'));
    const r = await settled(lintModule(dir));
    expect(r).not.toBe('still waiting');
    expect(r).toMatchObject({
      ok: false,
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'Containerfile', message: expect.stringMatching(/link/) }),
      ]),
    });
  });
});
