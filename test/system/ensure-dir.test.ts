import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDirSync } from '../../src/core/services/fs-cb.js';
import { ensureDir } from '../../src/core/system/fs.js';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * ensureDir makes a folder and the missing ones above it. Node's recursive mkdir retries for ever,
 * at 100 % CPU, where mkdir answers ENOENT for a parent that exists (/proc): `--root /proc/x pkg
 * install x` never ended. Every caller gets the one-level-at-a-time walk.
 */
describe('ensureDir', () => {
  it('makes the missing folders, with the mode asked for, and accepts one that is there', async () => {
    const base = tempDir('bp-ensure-');
    const dir = path.join(base, 'a', 'b', 'c');
    await ensureDir(dir, 0o700);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(path.join(base, 'a')).mode & 0o777).toBe(0o700);
    await ensureDir(dir);
    mkdirSync(path.join(base, 'd'));
    await ensureDir(path.join(base, 'd'));
  });

  it('ensureDirSync (the services’ folders) does the same, synchronously', () => {
    const base = tempDir('bp-ensure-');
    const dir = path.join(base, 'a', 'b');
    ensureDirSync(dir, 0o700);
    expect(statSync(path.join(base, 'a')).mode & 0o777).toBe(0o700);
    ensureDirSync(dir);
    writeFileSync(path.join(base, 'f'), 'x');
    expect(() => ensureDirSync(path.join(base, 'f', 'g'))).toThrow(/f/);
    expect(() => ensureDirSync('/proc/bp-no-such/a')).toThrow('/proc cannot hold folders');
  });

  it('refuses a file in the folder’s place or on the way', async () => {
    const base = tempDir('bp-ensure-');
    writeFileSync(path.join(base, 'f'), 'x');
    await expect(ensureDir(path.join(base, 'f'))).rejects.toThrow(/f/);
    await expect(ensureDir(path.join(base, 'f', 'g'))).rejects.toThrow(/f/);
  });

  it('where no folder can be made (/proc), fails with a storage error instead of spinning', async () => {
    const err = await ensureDir('/proc/bp-no-such/a/b').catch((e) => e);
    expect(err).toMatchObject({ code: 'not-writable', exitCode: 7 });
    expect(err.message).toBe('Cannot create /proc/bp-no-such/a/b: /proc cannot hold folders');
  }, 10_000);

  it('--root under /proc: a command that writes ends with that error (exit 7)', async () => {
    // A command that makes a box: any other is refused first, the root not being there (exit 3).
    const r = await runCliHere([
      '--root',
      '/proc/bp-no-such',
      'pkg',
      'repo',
      'add',
      'main',
      'https://example.org/r',
    ]);
    expect(r.code).toBe(7);
    expect(r.err).toContain('/proc cannot hold folders');
  }, 10_000);
});
