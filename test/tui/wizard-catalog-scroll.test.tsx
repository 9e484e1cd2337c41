/**
 * Issue 18: on the image's first-boot serial console (80×24) the module checklist is a window
 * that scrolls with the cursor: every frame fits the screen, the cursor's row is always shown,
 * "↑ n more"/"↓ n more" say what is out of sight, and the totals and key help are always there.
 */
import { describe, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { makeStackCatalog } from '../setup/catalog-fixture.js';
import {
  answerWizardToModules,
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
} from './helpers.js';

const t = rootsPerTest('ink-cat-scroll');

const SPACE = ' ';
const UP = '\x1b[A';
const DOWN = '\x1b[B';

describe('the catalog checklist on an 80×24 console', () => {
  it('scrolls with the cursor to the last entry, with the totals and key help always shown', async () => {
    // 9 modules: 18 rows of checklist alone.
    await makeStackCatalog(t.root, t.work, { extra: 3 });
    const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
    consoleSize(app, 80, 24);
    await answerWizardToModules(app, 'box-18');
    const first = await frameWith(app, 'Modules to install from the offline catalog');
    expect(first).toContain('> [ ] emb 0.1.0');
    expect(first).toMatch(/↓ \d+ more/);
    expect(first).not.toMatch(/↑ \d+ more/);
    expect(first).toContain('This box:');
    expect(first).toContain('Chosen: 0 module(s)');
    expect(first).toContain('Space choose  Enter accept  Esc previous step');
    expect(first).not.toContain('vec 0.1.0');
    // Down to the last entry (vec, the 9th): it is shown, with its needs line.
    await type(app, ...Array(8).fill(DOWN));
    const last = await frameWith(app, '> [ ] vec 0.1.0');
    expect(last).toContain('needs 2.0 GiB memory');
    expect(last).toMatch(/↑ \d+ more/);
    expect(last).not.toMatch(/↓ \d+ more/);
    expect(last).not.toContain('emb 0.1.0');
    expect(last).toContain('Space choose  Enter accept  Esc previous step');
    // Choosing ragx (one up) brings three modules: longer totals, still on the screen.
    await type(app, UP, SPACE);
    const chosen = await frameWith(app, '> [x] ragx 0.1.0');
    expect(chosen).toMatch(/Chosen: 1 module\(s\) and the 3 they bring/);
    expect(chosen).toContain('llmx serves model-* packages: choose one too (model-x).');
    expect(chosen).toContain('Space choose  Enter accept  Esc previous step');
    // Back up to the top: the first entry is shown again.
    await type(app, ...Array(8).fill(UP));
    const top = await frameWith(app, '> [ ] emb 0.1.0');
    expect(top).toContain('Space choose  Enter accept  Esc previous step');
    expect(top).toMatch(/↓ \d+ more/);
    expectFits(app.frames, 80, 24);
    app.unmount();
  });
});
