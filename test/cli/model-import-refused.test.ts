/**
 * A refused `blueprint model import` leaves nothing on disk. On a new box, a file that was not a
 * GGUF (or a GGUF cut short) was refused ("nothing was imported") but var/cache/blueprint/
 * model-import stayed behind, made for the import's private copy. Now the folders an import made
 * on the way to its work folder are removed again when it is refused, deepest first, while empty.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

const everything = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('a refused model import on a new box', () => {
  it.each([
    ['not a GGUF', Buffer.from('just some text, not a model\n'), 4],
    ['a GGUF cut short', () => readFileSync(Q8).subarray(0, 4096), 4],
  ] as const)('%s: refused, the root stays empty', async (_, bytes, code) => {
    const base = tempDir('bp-import-refused-');
    const file = path.join(base, 'model.gguf');
    writeFileSync(file, typeof bytes === 'function' ? bytes() : bytes);
    const root = path.join(base, 'root');
    mkdirSync(root);
    const r = await runCliHere(['--root', root, 'model', 'import', file, '--name', 'tiny']);
    expect(r.code, r.err).toBe(code);
    expect(r.err).toMatch(/nothing was imported/);
    expect(everything(root)).toEqual([]);
  });

  it('keeps the cache folders that were there before', async () => {
    const base = tempDir('bp-import-refused-');
    const file = path.join(base, 'model.gguf');
    writeFileSync(file, 'not a model');
    const root = path.join(base, 'root');
    mkdirSync(path.join(root, 'var/cache/blueprint/model-import'), { recursive: true });
    const r = await runCliHere(['--root', root, 'model', 'import', file, '--name', 'tiny']);
    expect(r.code, r.err).toBe(4);
    expect(everything(root)).toEqual([
      'var',
      'var/cache',
      'var/cache/blueprint',
      'var/cache/blueprint/model-import',
    ]);
  });
});
