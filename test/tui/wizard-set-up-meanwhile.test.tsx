/**
 * The wizard on the screen and on the serial line at once, no encryption (QA18's left items). The
 * one that lost the race was told "set up meanwhile" and then ended with 0, as a setup done: a
 * `blueprint setup` run by hand reported success for a setup it did not apply. And stepping back
 * from its summary and forward again made a new plan, which took the box as set up ("answers here
 * update it") and applied this console's admin and host name over the other's setup. Now a wizard
 * begun on a box not set up never applies once it is set up, and ends with 5 (a conflict).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { rootsPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('set-up-meanwhile');
const ENTER = '\r';

async function toSummary(host: string) {
  const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, host);
  await frameWith(app, 'Modules to install (and start)');
  await type(app, ENTER);
  await frameWith(app, 'Apply these changes?');
  return app;
}

async function exitOf(app: Awaited<ReturnType<typeof toSummary>>) {
  for (let i = 0; i < 100 && !app.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
  return app.exits;
}

async function applyConsole(app: Awaited<ReturnType<typeof toSummary>>) {
  await type(app, 'y');
  await frameWith(app, 'Applying setup');
  await frameWith(app, /Done\./, 600);
  expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(true);
  await type(app, ENTER);
  expect(await exitOf(app)).toEqual([0]);
}

it('the wizard that lost the race says so and ends with 5, not 0', async () => {
  const serial = await toSummary('box-ser');
  await applyConsole(await toSummary('box-con'));
  await type(serial, 'y');
  await frameWith(serial, 'This box was set up meanwhile', 600);
  await type(serial, ENTER);
  expect(await exitOf(serial)).toEqual([5]);
  expect((await readFile(path.join(t.root, 'etc/hostname'), 'utf8')).trim()).toBe('box-con');
});

it('stepping back and forward again (a new plan) still never applies over the other setup', async () => {
  const serial = await toSummary('box-ser');
  await applyConsole(await toSummary('box-con'));
  // Back from the summary to the last step, and forward: the summary is planned again.
  await type(serial, 'n');
  await frameWith(serial, 'Modules to install (and start)');
  await type(serial, ENTER);
  await frameWith(serial, 'Apply these changes?');
  await type(serial, 'y');
  await frameWith(serial, 'This box was set up meanwhile', 600);
  await type(serial, ENTER);
  expect(await exitOf(serial)).toEqual([5]);
  expect((await readFile(path.join(t.root, 'etc/hostname'), 'utf8')).trim()).toBe('box-con');
});

it('refused while another setup holds the box: back to its last step, and applied once it is free', async () => {
  const serial = await toSummary('box-ser');
  // Another setup holding the box (the other console applying, or its recovery key on screen).
  const release = await acquireLock(path.join(t.root, 'var/lib/blueprint/setup.lock'), 'setup');
  await type(serial, 'y');
  await frameWith(serial, 'Another setup is running', 600);
  await type(serial, ENTER);
  // Not ended (it was 0, as a setup done): back at its last step, its answers kept.
  await frameWith(serial, 'Modules to install (and start)');
  expect(serial.exits).toEqual([]);
  await release();
  await type(serial, ENTER);
  await frameWith(serial, 'Apply these changes?');
  await type(serial, 'y');
  await frameWith(serial, 'Applying setup');
  await frameWith(serial, /Done\./, 600);
  expect((await readFile(path.join(t.root, 'etc/hostname'), 'utf8')).trim()).toBe('box-ser');
  await type(serial, ENTER);
  expect(await exitOf(serial)).toEqual([0]);
});
