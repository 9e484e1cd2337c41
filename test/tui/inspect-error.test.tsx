/**
 * QA25: Enter (inspect) on 3 Services showed nothing while the inspection was read (a second or
 * two, longer on a slow engine), and an inspection that failed (the engine gone since the list was
 * read) was dropped unhandled: no word of it, and Node's unhandled rejection ends the process. Now
 * it says it is reading, and a failure says why and what to do, in the key line.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('inspecterr');

it('a failed inspection is said, with its hint, and the list stays', async () => {
  let fail!: (e: Error) => void;
  const app = renderApp(
    sourcesFor(box.root, {
      services: async () => ({
        available: true,
        value: [{ name: 'hello', state: 'running', sandboxed: true, detail: '' }],
      }),
      inspect: () =>
        new Promise<string[]>((_, reject) => {
          fail = reject;
        }),
    }),
  );
  await type(app, '3');
  await frameWith(app, 'hello');
  await type(app, '\r');
  await frameWith(app, 'Inspecting hello...');
  fail(Object.assign(new Error('The container engine is not running'), { hint: 'Start it.' }));
  const f = await frameWith(app, 'not running');
  expect(f).toContain('inspect hello: The container engine is not running');
  expect(f).toContain('Services (1)');
  app.unmount();
});
