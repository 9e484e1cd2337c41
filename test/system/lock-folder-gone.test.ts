import { existsSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * A package command that fails on a new --root removes the folders it made for its lock (e38bb0a),
 * after releasing it. A second command waiting on that lock (or one that made sure of the folder
 * just before) then made its lock file in a folder no longer there: ENOENT, reported as a bug.
 * The lock's folder is made again.
 */
describe('acquireLock when its folder is removed meanwhile', () => {
  it('a waiter takes the lock after the holder released it and removed the folder', async () => {
    const dir = path.join(tempDir('bp-lock-gone-'), 'var', 'lib', 'blueprint', 'pkg');
    const file = path.join(dir, 'lock');
    const release = await acquireLock(file, 'package operation');
    const waiter = acquireLock(file, 'package operation', { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100)); // waiting on the holder by now
    await release();
    rmdirSync(dir); // what the manager's failure clean-up does, deepest first
    const second = await waiter;
    expect(existsSync(file)).toBe(true);
    await second();
    expect(existsSync(file)).toBe(false);
  });
});
