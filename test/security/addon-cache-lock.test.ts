/**
 * REVIEW17, attack on LOWFIX4's 211ce4fc (scripts/build-lock.mjs tryLock, the lock of the addon
 * cache's sweep, modules/kit/native.ts removeOldAddonBuilds):
 * - a link planted at the lock's name (to a file elsewhere) is neither followed, written nor
 *   removed: the sweep is refused, naming it, and nothing is removed (found sound: a guard);
 * - a lock file with no PID in it (its taker killed between making it and writing its PID, or an
 *   empty file put there) was taken for a live taker for good: the sweep never ran again and the old
 *   builds it exists to remove piled up. takeLock breaks such a lock once it is 5 s old; tryLock now
 *   does the same (a fresh one, a taker still writing, is waited for: nothing this time).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOldAddonBuilds } from '../../modules/kit/native.ts';
import { tempDir } from '../setup/temp-registry.js';

const KEEP = 'hnswlib-node-3.0.0-gyp12.4.0-node24.21.0';
const OLD = 'hnswlib-node-2.0.0';

function cache(): string {
  const dir = tempDir('review17-lock-');
  for (const name of [KEEP, OLD]) mkdirSync(path.join(dir, name));
  return dir;
}

describe("the addon cache sweep's lock", () => {
  it('a link at the lock: refused, named; its target neither written nor removed; nothing swept', () => {
    const dir = cache();
    const outside = path.join(tempDir('review17-lock-outside-'), 'precious');
    writeFileSync(outside, 'keep me');
    symlinkSync(outside, path.join(dir, '.lock'));
    expect(() => removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir)).toThrow(
      `${path.join(dir, '.lock')} is not a lock file (a symbolic link)`,
    );
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(existsSync(path.join(dir, OLD))).toBe(true);
  });

  it('a lock with no PID, older than 5 s: taken over, the sweep runs; a fresh one is waited for', () => {
    const dir = cache();
    const lock = path.join(dir, '.lock');
    writeFileSync(lock, '');
    expect(removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir)).toEqual([]); // a taker writing it
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir)).toEqual([OLD]);
    expect(existsSync(lock)).toBe(false);
  });
});
