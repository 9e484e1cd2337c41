/**
 * `blueprint model import`'s last line, what to do next. It said `Serve it: blueprint service
 * restart llm` on every box, and on a box without the llm module that command fails ('No installed
 * module named llm has a service', exit 3). Now: no llm installed, how to install and start it;
 * llm installed and stopped, `service start llm`. (Running: `service restart llm`, not tested here:
 * a container named blueprint-llm would meet other tests' llm on the shared engine.)
 * Real import (real OpenPGP signing and install). The installed llm is llmBox's (database entry and
 * registration, nothing on the engine): a real `bpkg install llm` here put a package named llm on
 * the shared Podman engine beside the demo's llm and other tests'.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { llmBox } from '../helpers/llm-box.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe('model import: the next step it names', () => {
  it('without the llm module: install it, then start it', async () => {
    const root = path.join(tempDir('bp-model-next-'), 'root');
    mkdirSync(root);
    const r = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('service restart llm');
    expect(r.out).toContain(`bpkg --root ${root} install llm`);
    expect(r.out).toContain(`blueprint --root ${root} service start llm`);
  });

  it('with the llm module installed and stopped: start it', async () => {
    // An llm that serves the model packages (its registration mounts model-*, as modules/llm's does).
    const root = await llmBox(true);
    const r = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('service restart llm');
    expect(r.out).not.toContain('install llm');
    expect(r.out).toContain(`Serve it: \`blueprint --root ${root} service start llm\``);
  });

  // The demo's llm (npm start: package.ts --model) has its model built in and no model-* mount: it
  // went on serving its own model after the import and the restart the line named, and nothing said
  // so (README: 'For real answers bring a GGUF … and blueprint service restart llm').
  it('with an llm whose model is built in: says it serves that one only, and what serves the import', async () => {
    const root = await llmBox(false);
    const r = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('Serve it');
    expect(r.out).toContain('the installed llm has its model built in and serves that one only');
    // It named no command (the demo walk): now the ones that make it served, with the --root typed.
    expect(r.out).toContain(`\`bpkg --root ${root} update\` and \`bpkg --root ${root} upgrade llm\``);
    expect(r.out).toContain(`then \`blueprint --root ${root} service restart llm\` serves tiny`);
  });
});
