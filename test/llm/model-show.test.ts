/**
 * `blueprint model show NAME`, as `ollama show`: what an installed model is (architecture,
 * parameters, context, embedding length, layers, quantisation, size, licence, chat template), read
 * from its GGUF's header. `bpkg info model-NAME` said only the package's version and origin.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

const root = path.join(tempDir('bp-model-show-'), 'root');
const cli = (...args: string[]) => run(['--root', root, ...args]);

describe('blueprint model show', () => {
  it("says what the model is, as the llm's own /info does", async () => {
    for (const [f, name] of [
      [F32, 'tiny'],
      [Q8, 'tiny-q8'],
    ] as const) {
      const r = await cli('model', 'import', f, '--name', name, '--license', 'MIT (test weights)');
      expect(r.code, r.stderr).toBe(0);
    }
    const shown = await cli('model', 'show', 'tiny');
    expect(shown.code, shown.stderr).toBe(0);
    for (const line of [
      /^model +tiny \(model-tiny 1\.0\.0, origin local\)$/m,
      /^architecture +llama$/m,
      // The number the llm's /info and its log give (node-llama-cpp's count): 205120.
      /^parameters +205120$/m,
      /^context length +256$/m,
      /^embedding length +64$/m,
      /^layers +2$/m,
      /^quantisation +F32$/m,
      /^size +824 KiB$/m,
      /^license +MIT \(test weights\)$/m,
      /^chat template +yes$/m,
    ])
      expect(shown.stdout).toMatch(line);
    const q8 = JSON.parse((await cli('--json', 'model', 'show', 'model-tiny-q8')).stdout);
    expect(q8).toMatchObject({
      name: 'tiny-q8',
      package: 'model-tiny-q8',
      architecture: 'llama',
      parameters: 205120,
      contextLength: 256,
      quantisation: 'Q8_0',
    });
    const absent = await cli('model', 'show', 'llama3');
    expect(absent.code).toBe(3);
    expect(absent.stderr).toMatch(/No model named llama3 is installed/);
  });
});
