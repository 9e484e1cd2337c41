/**
 * Hints and next steps that named a command outside backticks, so the CLI could not give it the
 * --root typed (src/present/root-in-hints.ts gives it to commands in backticks): after
 * `--root DIR`, pasting it acted on the live box. `bpkg install` / `bpkg remove` with no name
 * ('Example: bpkg install embeddings'), model import's next step ('Serve it: bpkg install llm,
 * then blueprint service start llm …'), model import onto a name taken ('remove it first: bpkg
 * remove model-tiny'), and a service start whose module uses one not installed ('Install it: bpkg
 * install llm'), or one of a version it does not accept ('… accepts (bpkg install llm@VERSION)').
 * Each command is now in backticks and carries the --root.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { consumerSpec, providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const F32 = path.join(repoRoot, 'test/fixtures/models/tiny-llama/tiny-llama-f32.gguf');

describe('commands in hints carry the typed --root', () => {
  it.each([['install'], ['remove']])('bpkg %s with no name', async (cmd) => {
    const root = tempDir('bp-hint-cmd-');
    const r = await runCliHere(['--root', root, 'pkg', cmd]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`hint: Example: \`bpkg --root ${root} ${cmd} embeddings\``);
  });

  it('model import: the next step, and the name taken', async () => {
    const root = path.join(tempDir('bp-hint-cmd-model-'), 'root');
    mkdirSync(root);
    const r = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      `Serve it: \`bpkg --root ${root} install llm\`, then \`blueprint --root ${root} service start llm\``,
    );
    // Another model under the taken name (the same file again is 'unchanged', exit 0, since 9ac1759b).
    const again = await runCliHere(['--root', root, '--yes', 'model', 'import', F32, '--name', 'tiny']);
    expect(again.code).toBe(5);
    // The model commands' own words since b2d6d2bd, --root carried.
    expect(again.err).toContain(`remove it first: \`blueprint --root ${root} model rm tiny\``);
  });

  it('service start of a module that uses one not installed', async () => {
    const root = tokenRoot('bp-hint-cmd-uses-');
    await register(root, 'rag', consumerSpec('/run/rag'), ['llm']);
    const r = await runCliHere(['--root', root, 'service', 'start', 'rag']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('rag uses llm, which is not installed');
    expect(r.err).toContain(`hint: Install it: \`bpkg --root ${root} install llm\``);
  });

  it('service start of a module that uses another at a version it does not accept', async () => {
    const root = tokenRoot('bp-hint-cmd-uses-version-');
    await register(root, 'llm', providerSpec('llm'));
    await register(root, 'rag', consumerSpec('/run/rag'), ['llm >=2.0.0']);
    const r = await runCliHere(['--root', root, 'service', 'start', 'rag']);
    expect(r.code).toBe(5);
    expect(r.err).toContain('rag uses llm >=2.0.0, but llm 1.0.0 is installed');
    expect(r.err).toContain(`(\`bpkg --root ${root} install llm@VERSION\`)`);
  });
});
