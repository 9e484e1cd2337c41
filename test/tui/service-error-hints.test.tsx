/**
 * The Services screen's errors say what to do next, as the CLI and the dashboard do: the logs
 * pane and a failed start/stop showed an error's message only, without its hint (found by the QA4
 * walk: "Start it with `blueprint service start NAME`" shown by the dashboard, not the console).
 */
import { expect, it } from 'vitest';
import type { Sources } from '../../src/tui/sources.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('ink-hints');

const row = { name: 'web', state: 'exited', sandboxed: true, detail: '' };
const services: Sources['services'] = async () => ({ available: true, value: [row] });
const withHint = (message: string, hint: string) => Object.assign(new Error(message), { hint });

it('the logs pane: the error, then what to do', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      services,
      followLogs: () =>
        Promise.reject(withHint('web has no logs yet', 'Start it with `blueprint service start web`')),
    }),
  );
  await type(app, '3');
  await frameWith(app, 'Services (1)');
  await type(app, 'l');
  expect(await frameWith(app, 'web has no logs yet')).toContain(
    'Start it with `blueprint service start web`',
  );
  app.unmount();
});

it("a failed action's note: the error, then what to do", async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      services,
      serviceAction: () => Promise.reject(withHint('the engine is down', 'systemctl start podman.socket')),
    }),
  );
  await type(app, '3');
  await frameWith(app, 'Services (1)');
  await type(app, 's');
  expect(await frameWith(app, 'the engine is down')).toContain('systemctl start podman.socket');
  app.unmount();
});
