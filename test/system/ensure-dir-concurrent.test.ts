/**
 * Two ensureDir calls at once whose paths share folders neither found: one makes a folder, the other
 * meets it (EEXIST, or makes a folder inside it) and returned as soon as its own work was done,
 * before the first had synced the new folder into its parent. Its caller then committed a file in
 * a folder a power cut could still lose with everything in it. Now a call returns only once every
 * folder on its path that another call made is durable too. Syncs are slowed here so the order shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureDir } from '../../src/core/system/fs.js';
import { tempDir } from '../setup/temp-registry.js';

afterEach(() => vi.restoreAllMocks());

/** Folder syncs take 50 ms; returns the folders whose sync has finished, in order. */
function slowFolderSyncs(): string[] {
  const synced: string[] = [];
  const open = fs.promises.open;
  vi.spyOn(fs.promises, 'open').mockImplementation(async (file, flags, mode) => {
    const fh = await open(file, flags, mode);
    if (typeof flags !== 'number' || !(flags & fs.constants.O_DIRECTORY)) return fh;
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      await new Promise((r) => setTimeout(r, 50));
      await sync();
      synced.push(String(file));
    };
    return fh;
  });
  return synced;
}

/**
 * A mkdir that made its folder is answered 30 ms late: the other call's EEXIST for the same folder
 * comes first (two thread-pool threads post their answers in either order; seen in the clean-clone
 * CI at 5d1a823 under load).
 */
function lateMkdirAnswers(): void {
  const mkdir = fs.promises.mkdir;
  vi.spyOn(fs.promises, 'mkdir').mockImplementation(async (dir, options) => {
    const made = await mkdir(dir, options);
    await new Promise((r) => setTimeout(r, 30));
    return made;
  });
}

describe('ensureDir, two calls at once', () => {
  for (const [first, second] of [
    ['x', 'x'],
    ['x', 'x/y'],
    ['x/y', 'x'],
    ['x/y/z', 'x/y/w'],
    // Each may make a folder on the other's path (one x, the other x/y): neither waits for ever.
    ['x/y/a', 'x/y/b/c'],
  ] as const) {
    for (const late of [false, true])
      it(`${first} and ${second}${late ? ', the maker answered last' : ''}: each returns only once the folders on its path are in their parents for good`, async () => {
        const base = tempDir('bp-ensure-race-');
        const synced = slowFolderSyncs();
        if (late) lateMkdirAnswers();
        const check = (target: string) => () => {
          // Every folder between base and the target that did not exist before: its parent synced.
          const rel = path.relative(base, target).split(path.sep);
          for (let i = 0; i < rel.length; i++) {
            const parent = path.join(base, ...rel.slice(0, i));
            expect(synced, `${target} returned before ${parent} was synced`).toContain(parent);
          }
        };
        const a = path.join(base, first);
        const b = path.join(base, second);
        await Promise.all([ensureDir(a).then(check(a)), ensureDir(b).then(check(b))]);
        expect(fs.statSync(a).isDirectory() && fs.statSync(b).isDirectory()).toBe(true);
      });
  }
});
