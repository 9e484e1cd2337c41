/**
 * The console's last row offered '? help' while a text field had the keyboard (QA14's walk: every
 * step of the first-boot wizard), where '?' is typed into the field ('vm?' as the host name) and
 * no help opens: the row named a key that did not do what it said. It is left out of the row while
 * a field has the keyboard, and stays where '?' opens the help.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('footerhelp');

it("the wizard's last row does not offer '?', which its fields take as text", async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  const step = await frameWith(app, 'Step 1 of');
  expect(step.split('\n').at(-1)).toBe('Esc back  Ctrl-C quit');
  await type(app, '?');
  const typed = await frameWith(app, /> \S*\?/);
  expect(typed).not.toContain('q closes');
  app.unmount();
});

it("the Dashboard's last row offers '?', and it opens the help", async () => {
  const app = renderApp(sourcesFor(box.root));
  const dash = await frameWith(app, 'Memory');
  expect(dash.split('\n').at(-1)).toMatch(/^\? help {2}q back/);
  await type(app, '?');
  await frameWith(app, 'q closes');
  app.unmount();
});
