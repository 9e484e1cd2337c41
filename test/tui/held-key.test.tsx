import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * A held j or k (or keys typed while the console was busy drawing: an SSH session on a box whose
 * CPUs a model keeps busy) reaches the console as one read, 'jjj': Ink hands it over whole, and
 * the list took it for no key at all, so the selection did not move. Each letter now moves it.
 */
const box = boxPerTest('heldkey');

it('j and k read together move the selection once each', async () => {
  const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: names.map((name) => ({ name, version: '1.0.0', installed: false, summary: 's' })),
      }),
    }),
  );
  await type(app, '2');
  await frameWith(app, /> p0 /);
  app.stdin.write('jjjj'); // one read, as a held key arrives
  await frameWith(app, /> p4 /);
  app.stdin.write('kkk');
  expect(await frameWith(app, /> p1 /)).toMatch(/ {3}p4 /);
  app.stdin.write('jjjjjjjjjj'); // past the end: the last row
  await frameWith(app, /> p5 /);
  app.unmount();
});
