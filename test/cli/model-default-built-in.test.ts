/**
 * `blueprint model default NAME` on a box whose llm has its model built in (the demo's: package.ts
 * --model, no model-* mount). It said 'default model: tiny; it applies at llm's next start: `blueprint
 * service restart llm`', and after that restart llm served its own model as before: the line the
 * admin followed changed nothing. Shown without NAME it said llm 'serves the first by name', which
 * it does not either. Now both say the llm serves its built-in model only and what a default
 * applies to; an llm that serves the model packages is told as before (test/llm/model-default).
 * Real import (real OpenPGP signing and install); the llm is llmBox's (registration only).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { llmBox } from '../helpers/llm-box.js';
import { repoRoot } from '../helpers/pkg.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe('model default with an llm whose model is built in', () => {
  it('says the default is not what that llm serves, setting it or showing it', async () => {
    const root = await llmBox(false);
    const imported = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(imported.code, imported.err).toBe(0);
    const shown = await runCliHere(['--root', root, 'model', 'default']);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).not.toContain('serves the first by name');
    expect(shown.out).toContain('the installed llm has its model built in and serves that one only');
    const set = await runCliHere(['--root', root, 'model', 'default', 'tiny']);
    expect(set.code, set.err).toBe(0);
    expect(set.out).not.toContain("it applies at llm's next start");
    expect(set.out).toMatch(
      /^default model: tiny; the installed llm has its model built in and serves that one only \(`blueprint --root \S+ service status llm` names it\): a default applies to an llm package made without one/,
    );
  });

  it('an llm that serves the model packages is told the restart as before', async () => {
    const root = await llmBox(true);
    expect((await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'])).code).toBe(
      0,
    );
    const set = await runCliHere(['--root', root, 'model', 'default', 'tiny']);
    expect(set.out).toContain(
      `default model: tiny; it applies at llm's next start: \`blueprint --root ${root} service restart llm\``,
    );
  });
});
