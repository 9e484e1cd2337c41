// vi.mock calls are hoisted above the imports: every module below sees the wrapped fs.
/**
 * `blueprint model import` reads the GGUF on the stick once. A hostile USB stick needs no race:
 * it can serve different bytes on every open. Here every open of the stick's file in this
 * process (node:fs and node:fs/promises) is wrapped: the first gets one model, every later one
 * another. What is installed, hashed and signed must be what the first read gave, and the file
 * must have been opened once.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { whileHostile } from '../helpers/hostile-fs.js';
import { tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

vi.mock('node:fs', async (real) => (await import('../helpers/hostile-fs.js')).wrapFs(await real()));
vi.mock('node:fs/promises', async (real) =>
  (await import('../helpers/hostile-fs.js')).wrapFsPromises(await real()),
);

const work = tempDir('bp-import-once-');

describe('model import from a stick that serves other bytes on a second read', () => {
  it('installs, hashes and signs what the one read gave', async () => {
    const stick = path.join(work, 'stick');
    mkdirSync(stick);
    // The stick's file as any later open sees it: the Q8_0 model. The first open: the F32 one.
    const file = path.join(stick, 'model.gguf');
    copyFileSync(Q8, file);
    const root = path.join(work, 'root');
    const {
      value: r,
      error,
      opens,
    } = await whileHostile(file, F32, () =>
      openBox(root, { yes: true }).models.import(file, { name: 'once' }),
    );
    expect(error).toBeUndefined();
    expect(opens).toBe(1);
    const installed = readFileSync(path.join(root, 'opt/blueprint/model-once/current/models/once/once.gguf'));
    expect(installed.equals(readFileSync(F32))).toBe(true);
    expect(r!.source.bytes).toBe(readFileSync(F32).length);
    // The template and the name in the manifest come from the copy too (the F32 model's).
    expect(r!.files['models/once/once.gguf']).toBe(r!.source.sha256);
  });
});
