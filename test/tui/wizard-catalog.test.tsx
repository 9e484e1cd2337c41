/**
 * Issue 18: the wizard's module step offers the image's offline catalog as a checklist, each
 * module with what it needs, and the choice against what the box has; what is chosen is installed
 * from the catalog at the end of setup. Without a catalog the free-text step says there is none.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootsPerTest } from '../helpers/roots.js';
import { makeCatalog } from '../setup/catalog-fixture.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('ink-cat');

const ENTER = '\r';
const SPACE = ' ';
const DOWN = '\x1b[B';

/** Answers every step up to the module step: no SSH, no repository, defaults elsewhere. */
async function toModuleStep() {
  const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, 'box-18');
  return app;
}

describe('the setup wizard with the offline catalog', () => {
  it('shows each module with its needs and the box, installs what was chosen from the catalog', async () => {
    await makeCatalog(t.root, t.work, { imageBytes: 300_000 });
    const app = await toModuleStep();
    const step = await frameWith(app, 'Modules to install from the offline catalog');
    // No repository was given: the checklist is the whole module choice, in the same 11 steps.
    expect(step).toContain('Step 13 of 13: Modules');
    expect(step).toMatch(/> \[ \] alpha 1\.0\.0 {2}Alpha, a plain package/);
    expect(step).toMatch(/\[ \] beta 2\.1\.0 {2}Beta, a service/);
    expect(step).toMatch(/needs 1\.0 GiB memory, \d+(\.\d)? KiB disk, uses a GPU if there is one/);
    expect(step).toMatch(/This box: .+ memory, .+ free disk\./);
    expect(step).toContain('Chosen: 0 module(s), 0 B memory, 0 B disk.');
    // Choose beta, then change the mind: choose alpha only.
    await type(app, DOWN, SPACE);
    expect(await frameWith(app, '[x] beta')).toContain('Chosen: 1 module(s), 1.0 GiB memory');
    await type(app, SPACE, '\x1b[A', SPACE);
    const chosen = await frameWith(app, '[x] alpha');
    expect(chosen).toContain('[ ] beta');
    expect(chosen).toMatch(/Chosen: 1 module\(s\), 0 B memory, \d+(\.\d)? KiB disk\./);
    await type(app, ENTER);
    expect(await frameWith(app, 'Apply these changes?')).toContain('Modules: alpha');
    await type(app, 'y');
    await frameWith(app, 'Done.');
    const installed = await readFile(path.join(t.root, 'var/lib/blueprint/pkg/installed.json'), 'utf8');
    expect(installed).toMatch(/"name": ?"alpha"[\s\S]*"origin": ?"catalog"/);
    expect(installed).not.toContain('"beta"');
    app.unmount();
  });

  it('a module asking for outbound network is shown with its hosts but cannot be chosen in setup', async () => {
    await makeCatalog(t.root, t.work, { outbound: ['api.example.org:443'] });
    const app = await toModuleStep();
    await frameWith(app, 'Modules to install from the offline catalog');
    await type(app, DOWN, DOWN, SPACE);
    const frame = await frameWith(app, '> [ ] gamma 0.3.0');
    expect(frame).toContain('asks for outbound network to api.example.org:443: install it after setup');
    expect(frame).toContain('Chosen: 0 module(s)');
    app.unmount();
  });

  it('Enter with nothing chosen installs no module', async () => {
    await makeCatalog(t.root, t.work);
    const app = await toModuleStep();
    await frameWith(app, 'Modules to install from the offline catalog');
    await type(app, ENTER);
    await frameWith(app, 'Apply these changes?');
    await type(app, 'y');
    await frameWith(app, 'Done.');
    await expect(
      readFile(path.join(t.root, 'var/lib/blueprint/pkg/installed.json'), 'utf8'),
    ).rejects.toThrow();
    await expect(readFile(path.join(t.root, 'etc/blueprint/repos.d/catalog.json'))).rejects.toThrow();
    app.unmount();
  });

  it('without a catalog the module step is the free-text one and says there is none', async () => {
    const app = await toModuleStep();
    const step = await frameWith(app, 'Modules to install (and start)');
    expect(step).toContain('No offline module catalog on this box: modules come from a repository.');
    expect(step).toContain('Step 13 of 13: Modules');
    app.unmount();
  });
});
