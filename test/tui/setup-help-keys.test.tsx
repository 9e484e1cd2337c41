/**
 * The wizard's own help, asked for once a step is on screen (QA14's walk). Every step's field took
 * '?' as text ('vm?' as the host name), so no help opened; this test passed only because its '?'
 * arrived before the Setup screen had loaded and taken the keyboard, which a person cannot do.
 * Ctrl-G (one byte, 0x07, on every terminal: see src/tui/keys.ts) opens it on every step: the
 * step's keys (y / n at a question, Space in the catalog: QA8) and how to go back or quit; closing
 * it returns to the step with what was typed kept.
 */
import { existsSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { expect, it } from 'vitest';
import { App } from '../../src/tui/App.js';
import { boxPerTest, rootsPerTest } from '../helpers/roots.js';
import { makeCatalog } from '../setup/catalog-fixture.js';
import { sshPublicKey } from '../setup/helpers.js';
import {
  answerWizardToModules,
  consoleSize,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  wizardToAdminKey,
} from './helpers.js';

const box = boxPerTest('setuphelp');
const t = rootsPerTest('setuphelpcat');
const CTRL_G = '\x07';

it("Ctrl-G on a step shows the step's keys and how to leave; closing keeps what was typed", async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  consoleSize(app, 80, 24);
  const step = await frameWith(app, 'Step 1 of');
  expect(step).toContain('Ctrl-G help');
  await type(app, '\x15', 'vm');
  await frameWith(app, '> vm_');
  await type(app, CTRL_G);
  const help = await frameWith(app, 'back to the step.');
  expect(help).toMatch(/Enter\s+accept the answer/);
  expect(help).toMatch(/Ctrl-U\s+clear the field/);
  expect(help).toMatch(/Esc\s+previous step/);
  expect(help).toMatch(/Ctrl-C\s+quit/);
  expect(help).not.toContain('> vm');
  // Esc closes the help, not the step (it did not go back), and the field kept 'vm'.
  await type(app, '\x1b');
  const back = await frameWith(app, /Step 1 of[\s\S]*> vm_/);
  expect(back).not.toContain('back to the step.');
  await type(app, '\r');
  await frameWith(app, 'Time zone');
  expect(app.exits).toEqual([]);
  app.unmount();
});

it('the help at a yes/no question names y / n; Ctrl-G closes it again', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  consoleSize(app, 80, 24);
  await wizardToAdminKey(app, 'box-help');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  const ssh = await frameWith(app, 'Let SSH listen?');
  expect(ssh).toContain('Ctrl-G help');
  await type(app, CTRL_G);
  const help = await frameWith(app, 'back to the step.');
  expect(help).toMatch(/y \/ n\s+yes \/ no/);
  // 'n' while the help shows answers nothing.
  await type(app, 'n', CTRL_G);
  await frameWith(app, /Let SSH listen\?[\s\S]*y yes/);
  app.unmount();
});

it("the console's Setup screen (not only `blueprint setup`) opens it once the step shows", async () => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
  consoleSize(app, 100, 40);
  await frameWith(app, 'Memory');
  await type(app, '5');
  await frameWith(app, 'Step 1 of');
  await type(app, CTRL_G);
  const f = await frameWith(app, 'back to the step.');
  expect(f).toMatch(/Ctrl-G\s+this help/);
  app.unmount();
});

it('the summary has it too: its keys, and a y typed while it shows applies nothing', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, 'box-sum');
  await frameWith(app, 'Modules to install');
  await type(app, '\r');
  await frameWith(app, 'Apply these changes?');
  await type(app, CTRL_G);
  const help = await frameWith(app, 'back to the step.');
  expect(help).toMatch(/y\s+apply these changes/);
  await type(app, 'y', 'q');
  await frameWith(app, 'Apply these changes?');
  expect(existsSync(box.at('etc/hostname'))).toBe(false);
  app.unmount();
});

it('in the catalog: Space, Enter and the keys of every step; the modules chosen are kept', async () => {
  await makeCatalog(t.root, t.work, { imageBytes: 300_000 });
  const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, 'box-cat');
  await frameWith(app, 'Modules to install from the offline catalog');
  await type(app, ' ');
  expect(await frameWith(app, '[x] alpha')).toContain('Ctrl-G help');
  await type(app, CTRL_G);
  const help = await frameWith(app, 'back to the step.');
  expect(help).toMatch(/Space\s+choose a module/);
  expect(help).toMatch(/Esc\s+previous step/);
  // Space and Enter while the help shows do nothing to the checklist under it.
  await type(app, ' ', '\r', '\x1b');
  const back = await frameWith(app, '[x] alpha');
  expect(back).toContain('Modules to install from the offline catalog');
  await type(app, '\r');
  expect(await frameWith(app, 'Apply these changes?')).toContain('Modules: alpha');
  app.unmount();
});
