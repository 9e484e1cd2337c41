/**
 * Issue 18: the wizard's checklist over a catalog shaped like the image's (rag using embeddings,
 * vectors and llm; llm serving model-* packages). Choosing rag shows what it brings in the sum and
 * that llm still needs a model; choosing the model too clears that line. Nothing is installed
 * here (the services would need an engine): the choice is checked at the confirmation screen.
 */
import { describe, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { makeStackCatalog } from '../setup/catalog-fixture.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('ink-cat-stack');
const SPACE = ' ';
const DOWN = '\x1b[B';
const ENTER = '\r';

describe('the setup wizard with a catalog of modules that use each other', () => {
  it('counts what rag brings, asks for a model, and lists each module with its needs', async () => {
    await makeStackCatalog(t.root, t.work);
    const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
    await answerWizardToModules(app, 'box-18');
    const step = await frameWith(app, 'Modules to install from the offline catalog');
    // Sorted by name: emb, llmx, model-x, plain, ragx, vec.
    expect(step).toMatch(
      /> \[ \] emb 0\.1\.0 {2}emb test package\n +needs 1\.0 GiB memory, .+ disk, uses a GPU if there is one/,
    );
    expect(step).toMatch(
      /\[ \] ragx 0\.1\.0 {2}ragx test package\n +needs 1\.0 GiB memory, .+ disk; brings emb, vec, llmx/,
    );
    expect(step).toMatch(/\[ \] vec 0\.1\.0 {2}vec test package\n +needs 2\.0 GiB memory/);
    await type(app, DOWN, DOWN, DOWN, DOWN, SPACE);
    const rag = await frameWith(app, '[x] ragx');
    expect(rag).toMatch(
      /Chosen: 1 module\(s\) and the 3 they bring \(emb, llmx, vec\), 6\.0 GiB memory, .+ disk\./,
    );
    expect(rag).toContain('llmx serves model-* packages: choose one too (model-x).');
    await type(app, '\x1b[A', '\x1b[A', SPACE);
    const both = await frameWith(app, '[x] model-x');
    expect(both).toMatch(/Chosen: 2 module\(s\) and the 3 they bring \(emb, llmx, vec\), 6\.0 GiB memory/);
    expect(both).not.toContain('choose one too');
    await type(app, ENTER);
    expect(await frameWith(app, 'Apply these changes?')).toMatch(/Modules: (model-x, ragx|ragx, model-x)/);
    app.unmount();
  });
});
