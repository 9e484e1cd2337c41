/**
 * ensureDir / ensureDirSync take a link to a folder at a folder's name, as Node's recursive mkdir
 * did. Judged not a hole (the functions' comments say why): every name they make lies in a folder
 * only root (or the running user, for a path that user named) can change, and the box's paths are
 * fenced by assertInsideRoot, which refuses a link leading out of --root. An admin's link inside
 * the box (var/lib/blueprint on a bigger disk's folder) is a layout that must keep working; a
 * link to a file, or one leading out of the root, is refused. The first two are guards of the
 * decision (they passed before). The third failed: `bpkg key add` and `repo add` wrote through a
 * link out of the root (exit 0) that `bpkg clean` or `update` refused; app/repos.ts now judges the
 * root first, as the package manager's locked commands do.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { ensureDirSync } from '../../src/core/services/fs-cb.js';
import { ensureDir } from '../../src/core/system/fs.js';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';

describe('ensureDir and links', () => {
  it('a link to a folder at the name or on the way is taken; a link to a file is refused, typed', async () => {
    const base = tempDir('bp-ensure-link-');
    mkdirSync(path.join(base, 'real'));
    symlinkSync('real', path.join(base, 'link'));
    await ensureDir(path.join(base, 'link'));
    await ensureDir(path.join(base, 'link', 'a', 'b'));
    ensureDirSync(path.join(base, 'link', 'c'));
    expect(readdirSync(path.join(base, 'real')).sort()).toEqual(['a', 'c']);
    writeFileSync(path.join(base, 'file'), 'x');
    symlinkSync('file', path.join(base, 'to-file'));
    const err = await ensureDir(path.join(base, 'to-file', 'x')).catch((e) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect(() => ensureDirSync(path.join(base, 'to-file'))).toThrow(BlueprintError);
  });

  it('a dangling link at the name or on the way: a typed error naming the folder, not the raw ENOENT', async () => {
    // Before: stat's ENOENT itself, which the CLI reports as a bug in blueprint.
    const base = tempDir('bp-ensure-dangling-');
    symlinkSync('nowhere', path.join(base, 'dangling'));
    for (const dir of [path.join(base, 'dangling'), path.join(base, 'dangling', 'a')]) {
      const err = await ensureDir(dir).catch((e) => e);
      expect(err, String(err)).toBeInstanceOf(BlueprintError);
      expect(err.message).toContain(dir);
      let sync: unknown;
      try {
        ensureDirSync(dir);
      } catch (e) {
        sync = e;
      }
      expect(sync, String(sync)).toBeInstanceOf(BlueprintError);
    }
    expect(existsSync(path.join(base, 'nowhere'))).toBe(false);
  });

  it('a box whose etc/blueprint links to a folder inside it: key add writes there', async () => {
    const root = tempDir('bp-link-root-');
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'disk2', 'blueprint-etc'), { recursive: true });
    symlinkSync('../disk2/blueprint-etc', path.join(root, 'etc', 'blueprint'));
    const key = await makeKey(path.join(tempDir(), 'key'));
    const r = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(root, 'disk2', 'blueprint-etc', 'keys')).length).toBeGreaterThan(0);
  });

  it('a link leading out of the box is refused, nothing made through it', async () => {
    const root = tempDir('bp-link-root-');
    const outside = tempDir('bp-link-out-');
    mkdirSync(path.join(root, 'etc'));
    symlinkSync(outside, path.join(root, 'etc', 'blueprint'));
    const key = await makeKey(path.join(tempDir(), 'key'));
    const r = await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('leads out of it');
    expect(existsSync(path.join(outside, 'keys'))).toBe(false);
    const repo = await bpkg(root, ['repo', 'add', 'main', 'https://example.org/r', '--key', key.fingerprint]);
    expect(repo.code).toBe(7);
    expect(repo.stderr).toContain('leads out of it');
    expect(existsSync(path.join(outside, 'repos.d'))).toBe(false);
  });
});
