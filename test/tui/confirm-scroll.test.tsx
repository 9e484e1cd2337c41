/**
 * A question longer than the screen: u's upgrade plan (a line per package) or an install's plan with
 * many dependencies, on the 80×24 console. The dialog printed every line and 'y yes, n no' under
 * them: past the screen's last row the question and the plan's end were off the screen (the frame
 * taller than the terminal), and a line wider than it wrapped. Now the lines scroll between the title
 * and the question (j/k, arrows, PgUp/PgDn, g/G, '↑/↓ N more'), wrapped to the width, and y still
 * answers.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('confirmscroll');

it.each([true, false])(
  'the upgrade question scrolls and stays on an 80x24 screen (plain: %s)',
  async (plain) => {
    const plan = Array.from({ length: 40 }, (_, i) => `pkg-${i + 1} 1.0.0 -> 2.0.0  main  1 KiB`);
    const calls: string[] = [];
    const app = renderApp(
      sourcesFor(box.root, {
        packages: async () => ({
          available: true,
          value: [{ name: 'pkg-1', version: '1.0.0', installed: true, summary: 's' }],
        }),
        upgradePlan: async () => ({ lines: plan, changes: plan.length }),
        async packageAction(action, name) {
          calls.push(`${action} ${name}`);
        },
      }),
      { plain },
    );
    consoleSize(app, 80, 24);
    await type(app, '2');
    await frameWith(app, 'Packages (1)');
    const start = app.frames.length;
    await type(app, 'u');
    const first = await frameWith(app, 'Confirm: upgrade all?');
    expect(first).toContain('y yes, n no');
    expect(first).toContain('pkg-1 1.0.0 -> 2.0.0');
    expect(first).not.toContain('pkg-40 ');
    expect(first).toMatch(/↓ \d+ more/);
    await type(app, 'G');
    const end = await frameWith(app, 'pkg-40 1.0.0 -> 2.0.0');
    expect(end).toContain('y yes, n no');
    // The line after the plan, wider than the screen: wrapped, its end on the screen too.
    expect(end).toContain('nothing is upgraded.');
    expect(end).not.toMatch(/↓ \d+ more/);
    expectFits(app.frames.slice(start), 80, 24);
    await type(app, 'y');
    await frameWith(app, 'upgrade all');
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual(['upgrade all']);
    app.unmount();
  },
);
