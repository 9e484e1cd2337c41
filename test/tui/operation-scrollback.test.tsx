/**
 * An operation's progress, once it is over, can be read back on a small screen: the older lines
 * gave way to the newer ones while it ran and could not be seen again (DASH's walk: a long removal
 * on the 80×24 console). Now j/k, PgUp/PgDn and g/G move through the whole progress, the newest
 * shown first; any other key goes back, as before; a progress that fits closes on any key.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('opback');

function appWith(steps: number) {
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'greet', version: '1.0.0', installed: true, summary: 's' }],
      }),
      async packageAction(_action, _name, progress) {
        for (let i = 1; i <= steps; i++) progress(`step ${i} of the removal`);
      },
    }),
  );
  consoleSize(app, 80, 24);
  return app;
}

/** greet removed from the Packages screen with `steps` progress lines: the app and the frame when it is over. */
async function removedWith(steps: number) {
  const app = appWith(steps);
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove greet?');
  await type(app, 'y');
  const end = await frameWith(app, 'Press any key.');
  return { app, end };
}

const stepsIn = (frame: string) => [...frame.matchAll(/step (\d+) of the removal/g)].map((m) => Number(m[1]));

it('a long progress, once done, scrolls back to its first line and forth; another key goes back', async () => {
  const { app, end } = await removedWith(40);
  expect(stepsIn(end).at(-1)).toBe(40);
  expect(stepsIn(end)).not.toContain(1);
  await type(app, 'g');
  const top = await frameWith(app, 'step 1 of the removal');
  expect(stepsIn(top)[0]).toBe(1);
  expect(top).toContain('Done.');
  expect(top.split('\n').length).toBeLessThanOrEqual(24);
  await type(app, 'G');
  expect(stepsIn(await frameWith(app, 'step 40 of the removal')).at(-1)).toBe(40);
  await type(app, 'q');
  await frameWith(app, 'Packages (1)');
  app.unmount();
});

it('a progress that fits: any key goes back, j too', async () => {
  const { app, end } = await removedWith(3);
  expect(stepsIn(end)).toEqual([1, 2, 3]);
  await type(app, 'j');
  await frameWith(app, 'Packages (1)');
  app.unmount();
});
