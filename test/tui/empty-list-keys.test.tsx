/**
 * CONSOLE5's walk: on an empty list (no service installed, or a filter that matches nothing) the
 * keys the list's key line offers (s start, Enter inspect, i install, x remove) did nothing at all:
 * no answer, as if the key was not read. Each now says there is nothing selected and what to do.
 */
import { beforeAll, expect, it } from 'vitest';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console5-emptykeys-');
});

it('Services with none: s says there is no service to act on', async () => {
  const app = renderApp(sourcesFor(root, { services: async () => ({ available: true, value: [] }) }));
  consoleSize(app, 80, 24);
  await type(app, '3');
  await frameWith(app, 'Services (0)');
  await type(app, 's');
  expect(await frameWith(app, /No service selected/)).toMatch(/No service selected/);
  app.unmount();
});

it('Packages filtered to nothing: i says there is no package selected, with the way out of the filter', async () => {
  const app = renderApp(
    sourcesFor(root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'greet', version: '1.0.0', installed: false, summary: 'says hello' }],
      }),
    }),
  );
  consoleSize(app, 80, 24);
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, '/', 'z', 'z', 'z', '\r');
  await frameWith(app, 'filter: zzz');
  await type(app, 'i');
  const f = await frameWith(app, /No package selected/);
  expect(f.replace(/\s+/g, ' ')).toContain('/ then Esc clears the filter');
  app.unmount();
});
