/**
 * `blueprint model import` of one part of a split GGUF (`…-00001-of-00003.gguf`, as large models
 * are published): each part is a GGUF of its own with some of the tensors, so the first part was
 * imported alone and llama.cpp could not load it (the other parts are not beside it in the
 * package). Refused, saying to merge the parts first.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { str, u16, u32, u64 } from '../helpers/gguf-bytes.js';
import { tempDir } from '../helpers/pkg.js';

const work = tempDir('bp-model-split-');

/** The header of part `no` (from 0) of `count`, as llama.cpp's gguf-split writes its keys. */
const part = (no: number, count: number) =>
  Buffer.concat([
    Buffer.from('GGUF'),
    u32(3),
    u64(0n),
    u64(3n),
    str('general.architecture'),
    u32(8),
    str('llama'),
    str('split.no'),
    u32(2),
    u16(no),
    str('split.count'),
    u32(2),
    u16(count),
    Buffer.alloc(64),
  ]);

describe('model import of a split GGUF', () => {
  it('is refused, saying which part it is and to merge them; nothing is left', async () => {
    const root = path.join(work, 'root');
    const box = openBox(root, { yes: true });
    const f = path.join(work, 'big-00001-of-00003.gguf');
    writeFileSync(f, part(0, 3));
    await expect(box.models.import(f, { name: 'big' })).rejects.toMatchObject({
      code: 'gguf-split',
      exitCode: 4,
      message: expect.stringMatching(/is part 1 of 3 of a split GGUF/),
      hint: expect.stringMatching(/llama-gguf-split --merge/),
    });
    expect(await box.packages.list()).toEqual([]);
    const base = path.join(root, 'var/cache/blueprint/model-import');
    expect(existsSync(base) ? readdirSync(base) : []).toEqual([]);
    // A file of one part (split.count 1) is a whole model.
    const one = path.join(work, 'one.gguf');
    writeFileSync(one, part(0, 1));
    const r = await box.models.import(one, { name: 'one' });
    expect(r.package).toBe('model-one');
  });
});
