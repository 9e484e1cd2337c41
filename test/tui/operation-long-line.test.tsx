import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * An operation's progress lines are shown whole: a warning wider than the terminal (the remove's
 * "its image … could not be removed (the container engine is not running); once it runs: podman
 * rm -f … && podman rmi …") was cut at the screen's edge with "…", so the command that does the
 * rest was never seen, under a green "Done.".
 */
const box = boxPerTest('oplong');

const WARNING =
  "warning: hello: its image 2f80c3b27d96 could not be removed (the container engine is not running); once it runs: podman rm -f --filter 'name=^blueprint-hello$' --filter ancestor=2f80c3b27d96c45610fb0322c491baa3abb5efafe0b0393b0d1c862ebf92716d && podman rmi localhost/blueprint-build/hello:1.0.0.box-3b8718e9f965";

it('a progress line wider than the screen is wrapped, not cut, and older lines give way', async () => {
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'hello', version: '1.0.0', installed: true, summary: 'hi' }],
      }),
      async packageAction(_action, _name, progress) {
        for (let i = 0; i < 40; i++) progress(`step ${i}`);
        progress(WARNING);
      },
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove hello?');
  await type(app, 'y');
  const frame = await frameWith(app, 'Done.');
  // The whole warning is there (wrapped over lines), the command's end included.
  expect(frame.replace(/\s+/g, '')).toContain(WARNING.replace(/\s+/g, ''));
  expect(frame).not.toContain('…');
  // The screen still fits the terminal: the oldest steps gave way to the warning.
  expect(frame).toContain('step 39');
  expect(frame).not.toContain('step 0\n');
  expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  app.unmount();
});
