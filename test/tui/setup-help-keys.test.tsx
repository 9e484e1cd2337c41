/**
 * The help (?) on the setup screen listed Enter, Esc and Ctrl-U: not y / n, the keys of its yes/no
 * questions (SSH, security updates), nor Space, the catalog's (QA8's walk, after 76e36dbf made the
 * key line follow the step). It lists them now, from the console's key table (src/tui/keys.ts).
 */
import { render } from 'ink-testing-library';
import { expect, it } from 'vitest';
import { App } from '../../src/tui/App.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, sourcesFor, type } from './helpers.js';

const box = boxPerTest('setuphelp');

it("the setup screen's help names the yes/no and catalog keys", async () => {
  const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
  consoleSize(app, 100, 40);
  await frameWith(app, 'Memory');
  await type(app, '5');
  await new Promise((r) => setTimeout(r, 200));
  await type(app, '?');
  const f = await frameWith(app, 'q closes');
  expect(f).toMatch(/y \/ n\s+yes \/ no/);
  expect(f).toMatch(/Space\s+choose a module/);
  app.unmount();
});
