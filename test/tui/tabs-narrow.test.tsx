/**
 * QA25 on a 40×12 serial line: the top line, cut at the fourth tab (`4…`), never showed the open
 * screen from 4 Keys on, nor the numbers of the last three. Where the tabs do not fit, the others
 * are shown by number only and the open one by name.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('tabsnarrow');

it('at 40 columns the top line names the open screen and numbers every other', async () => {
  const app = renderApp(sourcesFor(box.root));
  consoleSize(app, 40, 12);
  await frameWith(app, 'Host');
  for (const [key, name] of [
    ['7', '[7 System]'],
    ['4', '[4 Keys]'],
    ['1', '[1 Dashboard]'],
  ] as const) {
    await type(app, key);
    const top = (await frameWith(app, name)).split('\n')[0] ?? '';
    expect(top.length, top).toBeLessThanOrEqual(40);
    expect(top).not.toContain('…');
    for (let i = 1; i <= 7; i++) expect(top).toMatch(new RegExp(`(^|[ [])${i}( |\\]|$)`));
  }
  app.unmount();
});
