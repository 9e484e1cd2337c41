/**
 * openUntrusted (src/core/system/copy-hashed.ts) opens the file a user names for its one read: a
 * local .bpkg (`bpkg install ./x.bpkg`) or a GGUF to import (`blueprint model import`), often on a
 * USB stick. What the stick can put at that name must not hang the command or be read as a file.
 * (A link at the name is followed: the path, and its links, are the user's.)
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openUntrusted } from '../../src/core/system/copy-hashed.js';
import { tempDir } from '../helpers/pkg.js';

const hint = { missing: 'check the path', notAFile: 'give a file' };
const fifos: string[] = [];
afterEach(() => {
  // A reader left waiting in open(2) by a version without O_NONBLOCK is let go.
  for (const f of fifos.splice(0)) closeSync(openSync(f, constants.O_RDWR | constants.O_NONBLOCK));
});

/** What `p` settled as, or 'still waiting' after 5 s: an open that waits for a writer never settles. */
const settled = <T>(p: Promise<T>): Promise<T | Error | 'still waiting'> =>
  Promise.race([
    p.catch((err: Error) => err),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 5000).unref()),
  ]);

describe('openUntrusted', () => {
  it('a FIFO is refused at once, not waited on', async () => {
    const fifo = path.join(tempDir('bp-untrusted-'), 'model.gguf');
    execFileSync('mkfifo', [fifo]);
    fifos.push(fifo);
    expect(await settled(openUntrusted(fifo, hint))).toMatchObject({
      code: 'not-a-file',
      hint: 'give a file',
    });
  }, 20_000);

  it('a device or a folder is refused; a missing file is not-found with its hint', async () => {
    const dir = tempDir('bp-untrusted-');
    mkdirSync(path.join(dir, 'x.bpkg'));
    for (const p of ['/dev/zero', path.join(dir, 'x.bpkg')])
      await expect(openUntrusted(p, hint)).rejects.toMatchObject({ code: 'not-a-file' });
    await expect(openUntrusted(path.join(dir, 'absent.bpkg'), hint)).rejects.toMatchObject({
      code: 'not-found',
      hint: 'check the path',
    });
  });

  it('a folder’s hint quotes the file it names for the shell: its name is the stick’s', async () => {
    // The hint is a command to copy; a name on a USB stick must not run anything when pasted.
    const dir = path.join(tempDir('bp-untrusted-'), 'My Models');
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a'$(touch pwned);b.gguf"), '');
    const example = (file: string) => `blueprint model import ${file} --name m`;
    await expect(openUntrusted(dir, { ...hint, ext: '.gguf', example })).rejects.toMatchObject({
      exitCode: 2,
      hint: `Pass the .gguf file itself: blueprint model import '${dir}/a'\\''$(touch pwned);b.gguf' --name m`,
    });
    // A plain name stays as it is.
    const plain = tempDir('bp-untrusted-');
    writeFileSync(path.join(plain, 'qwen-0.5b_Q4.gguf'), '');
    await expect(openUntrusted(plain, { ...hint, ext: '.gguf', example })).rejects.toMatchObject({
      hint: `Pass the .gguf file itself: blueprint model import ${plain}/qwen-0.5b_Q4.gguf --name m`,
    });
  });

  it('a folder’s hint names a file in it, not a folder named like one', async () => {
    const dir = tempDir('bp-untrusted-');
    mkdirSync(path.join(dir, 'a.gguf'));
    writeFileSync(path.join(dir, 'b.gguf'), '');
    const example = (file: string) => `blueprint model import ${file}`;
    await expect(openUntrusted(dir, { ...hint, ext: '.gguf', example })).rejects.toMatchObject({
      hint: `Pass the .gguf file itself: blueprint model import ${dir}/b.gguf`,
    });
  });

  it('a link the user’s path goes through is followed: the size is the file’s', async () => {
    const dir = tempDir('bp-untrusted-');
    writeFileSync(path.join(dir, 'real.bpkg'), 'abc');
    symlinkSync(path.join(dir, 'real.bpkg'), path.join(dir, 'named.bpkg'));
    const { input, size } = await openUntrusted(path.join(dir, 'named.bpkg'), hint);
    await input.close();
    expect(size).toBe(3);
  });
});
