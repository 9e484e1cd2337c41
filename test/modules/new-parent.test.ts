import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaffoldModule } from '../../src/core/modules/scaffold.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint module new m --dir a/b/m` where a/b is not there, is a file, or cannot hold folders
 * (/proc): 'ENOENT: no such file or directory, mkdtemp …' as 'a bug in blueprint' (exit 1). Each is
 * said plainly with its exit code, and nothing is made.
 */
describe('module new --dir whose parent is missing or no folder', () => {
  it('parent missing: not found (3), says how to make it, makes nothing', async () => {
    const base = tempDir('bp-new-parent-');
    const err = await scaffoldModule('m1', path.join(base, 'no', 'such', 'm1')).catch((e) => e);
    expect(err).toMatchObject({ exitCode: 3 });
    expect(err.message).toBe(`${path.join(base, 'no', 'such')} does not exist`);
    expect(err.hint).toContain(`mkdir -p ${path.join(base, 'no', 'such')}`);
    expect(existsSync(path.join(base, 'no'))).toBe(false);
  });

  it('parent a file: usage (2)', async () => {
    const base = tempDir('bp-new-parent-');
    writeFileSync(path.join(base, 'f'), 'x');
    const err = await scaffoldModule('m1', path.join(base, 'f', 'm1')).catch((e) => e);
    expect(err).toMatchObject({ exitCode: 2 });
    expect(err.message).toBe(`${path.join(base, 'f')} is not a folder`);
  });

  it('parent that cannot hold folders (/proc): storage (7), not a bug', async () => {
    const err = await scaffoldModule('m1', '/proc/m1').catch((e) => e);
    expect(err).toMatchObject({ exitCode: 7 });
    expect(err.message).toContain('/proc cannot hold folders');
  });

  it('--dir naming a file: conflict (5) before anything is written, the file kept', async () => {
    const base = tempDir('bp-new-parent-');
    writeFileSync(path.join(base, 'f'), 'x');
    const err = await scaffoldModule('m1', path.join(base, 'f')).catch((e) => e);
    expect(err).toMatchObject({ exitCode: 5 });
    expect(err.message).toBe(`${path.join(base, 'f')} already exists and is not a folder`);
    expect(readdirSync(base)).toEqual(['f']);
  });
});
