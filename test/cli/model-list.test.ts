/**
 * `blueprint model list`: an Ollama user's first question (`ollama list`) was 'Unknown command:
 * blueprint model list' (exit 2). Models are packages named model-NAME; the list shows those that
 * are installed (model name, package, version, origin), says how to get one when there are none,
 * and --json gives them as an array.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { llmBox } from '../helpers/llm-box.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe('model list', () => {
  it('is named on the model line of `blueprint --help`, beside model import', async () => {
    // The summary named only `model import`: an Ollama user looking for `ollama list` saw no way in.
    const r = await runCliHere(['--help']);
    expect(r.code).toBe(0);
    const line = r.out.split('\n').find((l) => /^\s+model\s/.test(l));
    expect(line).toContain('`model list`');
    expect(line).toContain('`model import FILE.gguf --name NAME`');
  });

  it('none installed: says so and how to import one; --json []', async () => {
    const root = tempDir('bp-model-list-');
    const r = await runCliHere(['--root', root, 'model', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No models installed.');
    expect(r.out).toContain(`blueprint --root ${root} model import FILE.gguf --name NAME`);
    const json = await runCliHere(['--root', root, '--json', 'model', 'list']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual([]);
  });

  // The demo (npm start): its llm has the tiny model built in and serves it, and `model list` said
  // 'No models installed. Import a GGUF', a model the installed llm would never serve.
  // llmBox: the llm as the database and its registration have it, nothing on the shared engine.
  it('none installed, with an llm whose model is built in: says it serves that one, not only to import', async () => {
    const root = await llmBox(false);
    const r = await runCliHere(['--root', root, 'model', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('No model packages installed.');
    expect(r.out).toContain('The installed llm has its model built in and serves that one only');
    expect(r.out).toContain(`\`blueprint --root ${root} service status llm\` names it`);
    const json = await runCliHere(['--root', root, '--json', 'model', 'list']);
    expect(JSON.parse(json.out)).toEqual([]);
  });

  it('an imported model is listed by its name, package and origin', async () => {
    const root = path.join(tempDir('bp-model-list-'), 'root');
    mkdirSync(root);
    const imp = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(imp.code, imp.err).toBe(0);
    const r = await runCliHere(['--root', root, 'model', 'list']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^NAME\s+PACKAGE\s+VERSION\s+ORIGIN/m);
    expect(r.out).toMatch(/^tiny\s+model-tiny\s+1\.0\.0\s+local/m);
    const json = await runCliHere(['--root', root, '--json', 'model', 'list']);
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({ name: 'tiny', package: 'model-tiny', version: '1.0.0', origin: 'local' }),
    ]);
  });
});
