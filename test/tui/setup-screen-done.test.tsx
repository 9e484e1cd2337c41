import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from './helpers.js';
import { applyNoModules } from './wizard-apply.js';

/**
 * The console's Setup screen (5), once setup is applied: the key that closes "Done." led back to
 * "Step 1 of …: Host name" with the old answers and without "This box is set up already", as if
 * nothing had been written. It now goes to the Dashboard, which shows the box as set up.
 */
const box = boxPerTest('tuisetupdone');

it('after applying setup from the console, the Dashboard shows the box set up', async () => {
  const app = renderApp(sourcesFor(box.root));
  await frameWith(app, 'Memory');
  expect(await frameWith(app, 'not set up: press 5')).toBeTruthy();
  await type(app, '5');
  await answerWizardToModules(app, 'box-done');
  await applyNoModules(app);
  expect(await readFile(box.at('etc/hostname'), 'utf8')).toBe('box-done\n');
  await type(app, 'x'); // any key closes the result
  const frame = await frameWith(app, /\[1 Dashboard\][\s\S]*Memory/);
  expect(frame).not.toContain('Step 1 of');
  expect(frame).not.toContain('not set up');
  expect(app.exits).toEqual([]);
  app.unmount();
});
