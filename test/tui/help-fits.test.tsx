/**
 * The help (?) on the 80×24 console opened by the login hook (its '! shell' line): a description
 * wider than the screen wrapped to the left margin, under the keys' column ('Outbound, System',
 * 'confirms)'), and the System screen's help fit only because Ink dropped the blank rows between its
 * sections. Now each description wraps under its own column, and help longer than the screen
 * scrolls (j/k, PgUp/PgDn, g/G, '↓ N more') with its closing line always shown; every frame fits.
 */
import { render } from 'ink-testing-library';
import { expect, it } from 'vitest';
import { App } from '../../src/tui/App.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, expectFits, frameWith, sourcesFor, type } from './helpers.js';

const box = boxPerTest('helpfits');

it.each([
  [80, 24],
  [80, 25],
])('help on every screen fits a %ix%i login console', async (columns, rows) => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} login onExit={() => {}} />);
  consoleSize(app, columns, rows);
  await frameWith(app, 'Memory');
  const start = app.frames.length;
  for (const screen of ['7', '2', '3']) {
    await type(app, screen);
    await new Promise((r) => setTimeout(r, 200));
    await type(app, '?');
    const f = await frameWith(app, 'q closes');
    // A wrapped description stays under the descriptions' column.
    expect(f).not.toMatch(/^ ?(Outbound, System|confirms\)|package\))/m);
    if (screen === '7') {
      await type(app, 'G');
      const end = await frameWith(app, /r \/ Enter\s+refresh/);
      expect(end).toContain('q closes');
    }
    await type(app, '?');
    await frameWith(app, /\? help/);
  }
  expectFits(app.frames.slice(start), columns, rows);
  app.unmount();
});

// CONSOLE3 (QA25's left item): at 40 columns the closing line was cut before '? or q closes'.
it('at 40×12 the closing line wraps whole and every frame fits', async () => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
  consoleSize(app, 40, 12);
  await frameWith(app, 'Host');
  const start = app.frames.length;
  for (const screen of ['1', '3', '6']) {
    await type(app, screen);
    await new Promise((r) => setTimeout(r, 200));
    await type(app, '?');
    const f = await frameWith(app, 'Everywhere');
    expect(f.replace(/\s+/g, ' ')).toContain(
      'Every action here is also a command: see `blueprint --help`. ? or q closes.',
    );
    expect(f).toMatch(/↓ \d+ more/);
    await type(app, '?');
    await frameWith(app, /\? help/);
  }
  expectFits(app.frames.slice(start), 40, 12);
  app.unmount();
});
