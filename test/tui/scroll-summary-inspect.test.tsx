/**
 * The setup wizard's summary and the Services screen's Inspect view on a small terminal (80×24, and
 * the image's serial console, 80×25): the summary showed the changes that fit and '... and N more',
 * with no way to see the rest before answering "Apply these changes?"; the Inspect view scrolled
 * with no sign that there was more, above or below, and no g/G. Both now scroll as the console's
 * lists do (j/k, arrows, PgUp/PgDn, g/G), say '↑ N more' / '↓ N more', and fit the screen; the
 * summary's question stays on it.
 */
import { describe, expect, it } from 'vitest';
import type { SetupPlan } from '../../src/app/index.js';
import { formatChange } from '../../src/present/setup.js';
import { boxPerTest } from '../helpers/roots.js';
import {
  answerWizardToModules,
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
} from './helpers.js';

const box = boxPerTest('tuiscroll');

const PGDN = '\x1b[6~';
const PGUP = '\x1b[5~';
const DOWN = '\x1b[B';

/** The part of a change's line the screen shows at this width (its target is enough to tell). */
const shownAs = (line: string) => line.slice(0, 60);

describe.each([
  [80, 24],
  [80, 25],
])('on a %ix%i console', (columns, rows) => {
  it('the setup summary scrolls to its last change, with the question always shown', async () => {
    const src = sourcesFor(box.root);
    let plan: SetupPlan | undefined;
    const planSetup = src.planSetup;
    src.planSetup = async (a) => (plan = await planSetup(a));
    const app = renderApp(src, { initial: 'setup', wizardOnly: true });
    consoleSize(app, columns, rows);
    await answerWizardToModules(app, 'box-scroll');
    await frameWith(app, 'Modules to install');
    await type(app, '\r');
    const first = await frameWith(app, 'Apply these changes?');
    const lines = plan!.changes.filter((c) => c.action !== 'unchanged').map(formatChange);
    expect(lines.length).toBeGreaterThan(rows - 8); // more than the screen has room for
    expect(first).toContain(shownAs(lines[0]!));
    expect(first).not.toContain(shownAs(lines.at(-1)!));
    expect(first).toMatch(/↓ \d+ more/);
    expect(first).not.toMatch(/↑ \d+ more/);
    // j, the down arrow and PgDn move down; the question stays.
    await type(app, 'j');
    expect(await frameWith(app, /↑ 1 more/)).toContain('Apply these changes?');
    await type(app, DOWN, PGDN);
    await frameWith(app, /↑ \d\d? more/);
    // G: the end, the last change shown and nothing more below.
    await type(app, 'G');
    const end = await frameWith(app, shownAs(lines.at(-1)!));
    expect(end).not.toMatch(/↓ \d+ more/);
    expect(end).toContain('Apply these changes? y apply, n/Esc back');
    // k, PgUp and g go back up to the first.
    await type(app, 'k', PGUP, 'g');
    const top = await frameWith(app, shownAs(lines[0]!));
    expect(top).not.toMatch(/↑ \d+ more/);
    expectFits(app.frames, columns, rows);
    app.unmount();
  });

  it('the Inspect view says there is more and scrolls to its end', async () => {
    const inspection = Array.from({ length: 60 }, (_, i) => `inspection line ${i + 1}`);
    const app = renderApp(
      sourcesFor(box.root, {
        services: async () => ({
          available: true,
          value: [{ name: 'hello', state: 'running', sandboxed: true, detail: '' }],
        }),
        inspect: async () => inspection,
      }),
    );
    consoleSize(app, columns, rows);
    await frameWith(app, 'Memory');
    await type(app, '3');
    await frameWith(app, /hello\s+running/);
    const start = app.frames.length; // the frames at this size (the first were at the default 100)
    await type(app, '\r');
    const first = await frameWith(app, 'inspection line 1\n');
    expect(first).toMatch(/↓ \d+ more/);
    expect(first).not.toContain('inspection line 60');
    await type(app, 'j');
    const down = await frameWith(app, /↑ 1 more/);
    expect(down).not.toContain('inspection line 1\n');
    await type(app, 'G');
    const end = await frameWith(app, 'inspection line 60');
    expect(end).not.toMatch(/↓ \d+ more/);
    expect(end).toMatch(/↑ \d+ more/);
    await type(app, 'g');
    await frameWith(app, 'inspection line 1\n');
    expectFits(app.frames.slice(start), columns, rows);
    // q goes back to the list.
    await type(app, 'q');
    await frameWith(app, /Services \(1\)/);
    app.unmount();
  });
});
