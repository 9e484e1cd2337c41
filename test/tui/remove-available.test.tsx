import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * x on a package that is only offered (not installed): the console asked 'Confirm: remove NAME?'
 * and, after y, failed 'NAME is not installed'. It now says so at once and asks nothing.
 */
const box = boxPerTest('rmavail');

it('x on an available package says it is not installed, without a question', async () => {
  const calls: string[] = [];
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'offered', version: '1.0.0', installed: false, summary: 's' }],
      }),
      async packageAction(action, name) {
        calls.push(`${action} ${name}`);
      },
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  const frame = await frameWith(app, 'offered is not installed');
  expect(frame).not.toContain('Confirm');
  expect(calls).toEqual([]);
  app.unmount();
});
