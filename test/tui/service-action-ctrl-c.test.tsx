/**
 * QA25: `s` on 3 Services while the engine hangs on the start (a stuck container, a socket whose
 * service never answers). Ctrl-C said `Stopping after the current step...`, and the step (one call
 * to the engine, which never returns) never ended: the console could not be left. A service action
 * has no steps of its own to finish: Ctrl-C stops waiting for the engine and quits with 130 (the
 * engine carries on or not with what it was asked; `blueprint service status` says where it is).
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('svcctrlc');

it('Ctrl-C during a service start the engine never answers quits with 130', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      services: async () => ({
        available: true,
        value: [{ name: 'hello', state: 'stopped', sandboxed: true, detail: '' }],
      }),
      serviceAction: () => new Promise<string[]>(() => {}),
    }),
  );
  await type(app, '3');
  await frameWith(app, 'hello');
  await type(app, 's');
  await frameWith(app, 'Ctrl-C stop');
  await type(app, '\x03');
  for (let i = 0; i < 100 && !app.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
  expect(app.exits).toEqual([130]);
  app.unmount();
});
