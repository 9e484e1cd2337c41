import { chownSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readSetupFile } from '../../src/core/setup/keys.js';
import { openUntrusted } from '../../src/core/system/copy-hashed.js';
import { readBoundedFile } from '../../src/core/system/read-bounded.js';
import { runCliHere } from '../helpers/cli-here.js';
import { linkFolders, NOBODY, SECRET } from '../helpers/owned-folders.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * The files an admin names to `model import`, `bpkg install ./x.bpkg` (and the `.asc` beside it),
 * `system update FILE`, `setup --answers`, `apply -f` (and the key files they name), `bpkg key add
 * FILE` are read as root, and every link on the path was followed, wherever it sat: a user who owns
 * a folder on that path (their home, a stick's folder they made, /tmp without protected_symlinks)
 * made the name a link to a root-only file, and root read it (into a model package, a package
 * cache, an error quoting its first line...). The project's rule, as `rag ingest` got in 61d20f2:
 * a link is followed only where it sits in a folder no one but root (or the caller) can change.
 * A link elsewhere is refused before anything is opened, naming the path and what to do.
 */
const swap = vi.hoisted(() => ({ after: '', dir: '', to: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const fs = await import('node:fs');
  // After the lstat of `swap.after` (the path resolved, no link on it), the folder `swap.dir` on
  // the way is swapped for a link to `swap.to`: the race, won by the folder's owner.
  const lstat = async (...a: Parameters<typeof real.lstat>) => {
    const st = await real.lstat(...a);
    if (swap.after && String(a[0]) === swap.after) {
      fs.renameSync(swap.dir, `${swap.dir}-old`);
      fs.symlinkSync(swap.to, swap.dir);
      swap.after = '';
    }
    return st;
  };
  return { ...real, lstat, default: { ...real, lstat } };
});

const folders = linkFolders('bp-named-file-links-');
const { base, privateDir, theirs, mine, sticky } = folders;
/** Another user's folder is made by chown: as root only. */
const asRoot = process.getuid?.() === 0;

beforeAll(() => {
  if (!asRoot) return;
  folders.make(['secret.gguf', 'secret.yaml', 'secret.bpkg', 'own.yaml']);
  // Another user's folder: their own file, and their links to root's.
  mkdirSync(theirs);
  writeFileSync(join(theirs, 'own.yaml'), 'hostname: theirs\n');
  mkdirSync(join(theirs, 'dir'));
  writeFileSync(join(theirs, 'dir', 'own.yaml'), 'hostname: theirs\n');
  symlinkSync(join(privateDir, 'secret.gguf'), join(theirs, 'model.gguf'));
  symlinkSync(join(privateDir, 'secret.yaml'), join(theirs, 'answers.yaml'));
  symlinkSync(privateDir, join(theirs, 'sub'));
  chownSync(theirs, NOBODY, NOBODY);
  chownSync(join(theirs, 'own.yaml'), NOBODY, NOBODY);
  // Root's own folder with root's link: the admin's, followed.
  symlinkSync(join(privateDir, 'secret.yaml'), join(mine, 'answers.yaml'));
  // Open to all and sticky (/tmp): anyone's links.
  symlinkSync(join(privateDir, 'secret.bpkg'), join(sticky, 'x.bpkg'));
});

/** What `read` gave (the secret, or the error's code and message). */
async function outcome(
  read: () => Promise<string>,
): Promise<{ read?: string; code?: string; message?: string }> {
  try {
    return { read: await read() };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

const untrusted = (file: string) => async () => {
  const { input, size } = await openUntrusted(file, { missing: 'm', notAFile: 'n' });
  try {
    const buf = Buffer.alloc(size);
    await input.read(buf, 0, size, 0);
    return buf.toString();
  } finally {
    await input.close();
  }
};
const bounded = (file: string) => async () => {
  const r = await readBoundedFile(file, 1024, { followLink: true });
  if (!r.ok) throw Object.assign(new Error(r.why), { code: r.why === 'open' ? r.error.code : r.why });
  return r.bytes.toString();
};

describe.skipIf(!asRoot)("links in another user's folder on a path an admin names", () => {
  it('model import, bpkg install ./x.bpkg, system update FILE: not followed (openUntrusted)', async () => {
    const r = await outcome(untrusted(join(theirs, 'model.gguf')));
    expect(r.read).toBeUndefined();
    expect(r.code).toBe('unsafe-link');
    expect(r.message).toContain(join(theirs, 'model.gguf'));
    expect(await outcome(untrusted(join(sticky, 'x.bpkg')))).toMatchObject({ code: 'unsafe-link' });
  });

  it('setup --answers, apply -f, key files, the .asc beside a package: not followed (readBoundedFile)', async () => {
    expect(await outcome(bounded(join(theirs, 'answers.yaml')))).toMatchObject({ code: 'unsafe-link' });
    const r = await outcome(() => readSetupFile(join(theirs, 'answers.yaml'), 'hint'));
    expect(r.read).toBeUndefined();
    expect(r.code).toBe('unsafe-link');
  });

  it('a link earlier on the path is not followed either', async () => {
    expect(await outcome(bounded(join(theirs, 'sub', 'secret.yaml')))).toMatchObject({ code: 'unsafe-link' });
    expect(await outcome(untrusted(join(theirs, 'sub', 'secret.gguf')))).toMatchObject({
      code: 'unsafe-link',
    });
  });

  it('a folder on the way swapped for a link after the path was resolved: not followed', async () => {
    const file = join(theirs, 'dir', 'own.yaml');
    Object.assign(swap, { after: file, dir: join(theirs, 'dir'), to: privateDir });
    const r = await outcome(bounded(file));
    expect(swap.after, 'the swap ran').toBe('');
    expect(r).toEqual({ code: 'ELOOP', message: 'open' });
    rmSync(join(theirs, 'dir'));
    renameSync(join(theirs, 'dir-old'), join(theirs, 'dir'));
  });

  it("their own files are still read, and root's links in root's folders still followed", async () => {
    expect(await outcome(bounded(join(theirs, 'own.yaml')))).toEqual({ read: 'hostname: theirs\n' });
    expect(await outcome(bounded(join(mine, 'answers.yaml')))).toEqual({ read: SECRET });
    expect(await outcome(untrusted(join(mine, 'answers.yaml')))).toEqual({ read: SECRET });
    expect(await outcome(() => readSetupFile(join(mine, 'answers.yaml'), 'hint'))).toEqual({ read: SECRET });
    expect(await outcome(bounded(join(base, 'nowhere.yaml')))).toMatchObject({ code: 'ENOENT' });
  });
});

describe.skipIf(!asRoot)('blueprint model import, end to end', () => {
  const root = tempDir('bp-named-file-links-root-');

  it('says which link was not followed and what to do', async () => {
    const link = join(theirs, 'model.gguf');
    const r = await runCliHere(['--root', root, 'model', 'import', link, '--name', 'tiny']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(link);
    expect(r.err).toContain('a link in a folder another user can change');
    expect(r.err).toMatch(/hint: .*name/i);
  });
});
