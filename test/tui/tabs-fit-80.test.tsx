/**
 * The console's top line on the 80×24 console (the appliance's, and the demo's in a default
 * terminal): 'BlueprintOS' and the seven tabs are 89 columns, so the line was cut at the sixth tab
 * ('6 Outbound …'): the seventh, System, was never named, and on it no tab showed which screen was
 * open (QA8's walk of the README). Where the whole line does not fit, the tabs are shown alone.
 */
import { render } from 'ink-testing-library';
import { expect, it } from 'vitest';
import { App } from '../../src/tui/App.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, sourcesFor, type } from './helpers.js';

const box = boxPerTest('tabsfit');

it('every tab is named on an 80-column console, the open one marked', async () => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
  consoleSize(app, 80, 24);
  const first = (await frameWith(app, 'Memory')).split('\n')[0] ?? '';
  expect(first).toContain('7 System');
  expect(first).toContain('[1 Dashboard]');
  await type(app, '7');
  const f = await frameWith(app, '[7 System]');
  expect(f.split('\n')[0]).toContain('[7 System]');
  app.unmount();
});

it('a wide console keeps the name before the tabs', async () => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
  consoleSize(app, 120, 30);
  const first = (await frameWith(app, 'Memory')).split('\n')[0] ?? '';
  expect(first).toMatch(/^BlueprintOS {2}\[1 Dashboard\].* 7 System/);
  app.unmount();
});
