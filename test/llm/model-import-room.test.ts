/**
 * An import's promise of the cache's room (var/lib/blueprint/model-room.json, shared with the
 * dashboard's uploads and every other process) is the room it still needs: once its private copy
 * is written, that copy is on disk (in the free space every other check reads) and no longer
 * promised. Kept whole until the import's end, other imports and uploads counted the copy twice
 * and were refused for room that was there. Given back, the file gone, once the import ended.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { tempDir } from '../helpers/pkg.js';
import { Q8 } from './helpers.js';

it('an import promises what it still needs: its copy, once written, is no longer promised', async () => {
  const root = path.join(tempDir('bp-import-room-'), 'root');
  mkdirSync(root);
  const account = path.join(root, 'var/lib/blueprint/model-room.json');
  const size = statSync(Q8).size;
  const seen: Record<string, number[]> = {};
  const held = () => (JSON.parse(readFileSync(account, 'utf8')) as { held: { bytes: number }[] }).held;
  const r = await openBox(root, { yes: true }).models.import(Q8, {
    name: 'room',
    onImport: (p) => {
      seen[p.phase] ??= held().map((e) => e.bytes);
    },
  });
  expect(r.package).toBe('model-room');
  // One disk: the copy, the package, the install's own files (3 × the file) promised at the start.
  expect(seen.copy).toEqual([3 * size]);
  // The copy written (and the package made of it in its place): the package and the install's.
  expect(seen.sign).toEqual([2 * size]);
  expect(existsSync(account)).toBe(false);
});
