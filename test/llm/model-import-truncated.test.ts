/**
 * `blueprint model import` of a GGUF cut short (an interrupted download or copy to the USB stick):
 * its header and metadata are whole, its tensor data is not. It was imported, signed and installed,
 * and the llm service then refused to start at all (llama.cpp: "tensor … data is not within the file
 * bounds"), every other model with it. The import reads the tensor table and refuses such a file,
 * leaving nothing behind.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { getLlama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { GGML_BLOCKS, readGgufInfo } from '../../src/core/models/gguf.js';
import { tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

const work = tempDir('bp-model-cut-');

const info = async (file: string) => {
  const fh = await open(file, 'r');
  return readGgufInfo(fh, statSync(file).size).finally(() => fh.close());
};

describe('the tensor data of a GGUF', () => {
  it("the block sizes are llama.cpp's own for every type it knows", async () => {
    const llama = await getLlama({ gpu: false, build: 'never' });
    try {
      const bindings = (
        llama as unknown as {
          _bindings: {
            getTypeSizeForGgmlType(t: number): number | undefined;
            getBlockSizeForGgmlType(t: number): number | undefined;
          };
        }
      )._bindings;
      for (let t = 0; t < 64; t++) {
        const block = bindings.getBlockSizeForGgmlType(t);
        const bytes = bindings.getTypeSizeForGgmlType(t);
        if (block) expect(GGML_BLOCKS[t], `type ${t}`).toEqual([block, bytes]);
        else expect(GGML_BLOCKS[t], `type ${t}`).toBeUndefined();
      }
    } finally {
      await llama.dispose();
    }
  });

  it('a whole file: its tensors end within it (F32 and Q8_0)', async () => {
    for (const file of [F32, Q8]) {
      const i = await info(file);
      expect(i.tensorsEnd).toBeDefined();
      expect(i.tensorsEnd! <= BigInt(statSync(file).size)).toBe(true);
      expect(BigInt(statSync(file).size) - i.tensorsEnd!).toBeLessThan(32n);
    }
  });

  it('a file cut in its tensor data is refused, saying it is cut short', async () => {
    const whole = readFileSync(Q8);
    // One byte short, half, and just past the tensor table (the metadata is ~22 KB of 242).
    for (const keep of [whole.length - 1, Math.floor(whole.length / 2), Math.floor(whole.length / 6)]) {
      const f = path.join(work, `cut-${keep}.gguf`);
      writeFileSync(f, whole.subarray(0, keep));
      await expect(info(f), String(keep)).rejects.toMatchObject({
        code: 'gguf-cut-short',
        message: expect.stringMatching(
          new RegExp(`cut short: its tensors need \\d+ bytes and it has ${keep}`),
        ),
      });
    }
  });
});

describe('blueprint model import of a file cut short', () => {
  it('is refused (exit 4) and nothing is installed or left behind', async () => {
    const root = path.join(work, 'root');
    const box = openBox(root, { yes: true });
    const f = path.join(work, 'half.gguf');
    const whole = readFileSync(F32);
    writeFileSync(f, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(box.models.import(f, { name: 'half' })).rejects.toMatchObject({
      code: 'gguf-cut-short',
      exitCode: 4,
      hint: expect.stringMatching(/copy it again/i),
    });
    expect(await box.packages.list()).toEqual([]);
    const base = path.join(root, 'var/cache/blueprint/model-import');
    expect(existsSync(base) ? readdirSync(base) : []).toEqual([]);
  });
});
