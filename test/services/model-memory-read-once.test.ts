/**
 * CONSOLE3: the console's Services screen reads a running llm's status every 10 s
 * (tui/running-limits.ts), and its next start's memory limit read every mounted model's GGUF
 * metadata each time: ~110 ms of CPU a read for a Qwen2.5-7B-shaped header (its vocabulary and merges
 * walked), 2 % of a core for two models while the screen was open. Now a model file's metadata is
 * read once per version of the file (gguf-metadata-memo.ts): the same file is not read again, a new
 * model is read, and a file changed in place is read again (its limit follows it).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as gguf from '../../src/core/models/gguf.js';
import { parseService } from '../../src/core/services/schema.js';
import { llamaGguf } from '../helpers/gguf-bytes.js';
import { run, tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';
import { uniqueName } from './helpers.js';
import { boxWith200MiB, modelServingLlm, plannedLimit } from './llm-shaped.js';

vi.mock('../../src/core/models/gguf.js', async (original) => {
  const real = await original<typeof import('../../src/core/models/gguf.js')>();
  return { ...real, readGgufInfo: vi.fn(real.readGgufInfo) };
});

const name = uniqueName('bpt-mmonce');
const reads = () => vi.mocked(gguf.readGgufInfo).mock.calls.length;

const importModel = async (root: string, file: string, as: string) => {
  const r = await run(['--root', root, 'model', 'import', file, '--name', as, '--license', 'MIT (test)']);
  expect(r.code, r.stderr).toBe(0);
};

const ggufsUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.gguf'))
    .map((f) => path.join(dir, f));

describe("an llm's next-start limit reads each model's metadata once per version of its file", () => {
  it('the same file once, a new model once, a file changed in place again', async () => {
    const big = path.join(tempDir('bp-mmonce-'), 'big.gguf');
    writeFileSync(big, llamaGguf(32, 8, 128));
    const root = await boxWith200MiB('bp-mmonce-', name, parseService(modelServingLlm()), (r) =>
      importModel(r, big, 'big'),
    );
    const first = await plannedLimit(root, name);
    expect(reads()).toBe(1);
    expect(await plannedLimit(root, name)).toBe(first);
    expect(await plannedLimit(root, name)).toBe(first);
    expect(reads()).toBe(1);

    await importModel(root, F32, 'tiny');
    await plannedLimit(root, name);
    expect(reads()).toBe(2);

    // The big model's file rewritten in place with a smaller shape (16 layers): read again, and the
    // limit is the new shape's.
    const installed = ggufsUnder(root).find((f) => !f.includes('tiny'))!;
    writeFileSync(installed, llamaGguf(16, 8, 128));
    const after = await plannedLimit(root, name);
    expect(reads()).toBe(3);
    expect(after).toBeLessThan(first);
  }, 120_000);
});
