/**
 * CONSOLE5's walk at 40x12: the help lists PgUp/PgDn (page) and a held j everywhere, but the
 * Dashboard took only single j/k, the arrows and g/G. PgDn did nothing, and a held j (the terminal
 * sends `jjj` in one read) did nothing either: the screen did not move. Both scroll now, as on a list.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('dashkeys');

it('at 40x12 the Dashboard pages with PgDn/PgUp and scrolls a held j', async () => {
  const app = renderApp(sourcesFor(box.root));
  consoleSize(app, 40, 12);
  await frameWith(app, /↓ \d+ more/);
  await type(app, '\x1b[6~');
  const paged = await frameWith(app, /↑ \d+ more/);
  expect(Number(/↑ (\d+) more/.exec(paged)![1])).toBeGreaterThan(3);
  await type(app, '\x1b[5~');
  expect(await frameWith(app, /^ Host/m)).not.toMatch(/↑ \d+ more/);
  await type(app, 'jjj');
  expect(await frameWith(app, /↑ \d+ more/)).toMatch(/↑ 3 more/);
  app.unmount();
});
