import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

// The same GGUF imported a second time under another name: Ollama keeps one blob for both; a box
// would have stored the gigabytes twice. It is refused, naming the model that holds those bytes,
// and nothing of the second import is left (temp root, real OpenPGP through the package manager).
const work = tempDir('bp-model-same-');
afterAll(() => rm(work, { recursive: true, force: true }));

const leftovers = (root: string) =>
  readdirSync(path.join(root, 'var/cache/blueprint/model-import')).concat(
    readdirSync(path.join(root, 'var/cache/blueprint/packages')).filter((f) => f.startsWith('.local-')),
  );

describe('blueprint model import of a GGUF already installed', () => {
  const root = path.join(work, 'root');
  const box = openBox(root, { yes: true });

  it('refuses the same bytes under a second name, naming the model that has them', async () => {
    await box.models.import(Q8, { name: 'tiny-q8' });
    // The same bytes from another place and file name (a second stick, a renamed copy).
    const stick = path.join(work, 'stick');
    mkdirSync(stick);
    copyFileSync(Q8, path.join(stick, 'renamed.gguf'));
    await expect(
      box.models.import(path.join(stick, 'renamed.gguf'), { name: 'tiny-again' }),
    ).rejects.toMatchObject({
      code: 'same-model',
      exitCode: 5,
      message: expect.stringContaining('model tiny-q8'),
      hint: expect.stringContaining('`blueprint model rm tiny-q8`'),
    });
    expect((await box.packages.list()).map((p) => p.name)).toEqual(['model-tiny-q8']);
    expect(leftovers(root)).toEqual([]);
  });

  it('imports other bytes as before', async () => {
    const r = await box.models.import(F32, { name: 'tiny-f32' });
    expect(r.package).toBe('model-tiny-f32');
    expect((await box.packages.list()).map((p) => p.name).sort()).toEqual([
      'model-tiny-f32',
      'model-tiny-q8',
    ]);
  });
});
