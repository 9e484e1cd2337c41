/**
 * An operation that fails after many progress lines, on the 80×24 console: the progress kept room
 * for a one-row outcome, so an error of several rows (its message and hint, each wrapped at the
 * width) made the frame taller than the terminal, and the top of the screen went off it. The
 * progress now gives way to the outcome's rows; the error and its hint are shown whole.
 */
import { expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('opfits');

it('a failure of several rows after a long progress fits an 80x24 screen', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'greet', version: '1.0.0', installed: true, summary: 's' }],
      }),
      async packageAction(_action, _name, progress) {
        for (let i = 1; i <= 40; i++) progress(`step ${i} of the removal`);
        throw new BlueprintError(
          `The removal of greet stopped: ${'the container engine answered something long. '.repeat(3)}`,
          'x',
          `Look at the engine: ${'systemctl status podman.socket podman.service, then run it again. '.repeat(2)}`,
        );
      },
    }),
  );
  consoleSize(app, 80, 24);
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  const start = app.frames.length;
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove greet?');
  await type(app, 'y');
  const end = await frameWith(app, 'Press any key.');
  // The title, the newest steps without a gap, the error and its hint to the end.
  expect(end).toMatch(/^ remove greet\s*$/m);
  const steps = [...end.matchAll(/step (\d+) of the removal/g)].map((m) => Number(m[1]));
  expect(steps.at(-1)).toBe(40);
  expect(steps, end).toEqual(steps.map((_, i) => 40 - steps.length + 1 + i));
  expect(end).toContain('The removal of greet stopped');
  expect(end).toContain('hint: Look at the engine');
  expect(end).toMatch(/^ {1,2}again\.\s*$/m);
  expectFits(app.frames.slice(start), 80, 24);
  app.unmount();
});
