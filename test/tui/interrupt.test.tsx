import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('intr');

it('Ctrl-C during an operation lets it finish its step, then quits with 130', async () => {
  let finishStep!: () => void;
  const events: string[] = [];
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'big-model', version: '1.0.0', installed: false, summary: 'weights' }],
      }),
      signerOf: async () => ({ version: '1.0.0 from main', fingerprint: 'AB'.repeat(20), signer: 'Test' }),
      async packageAction(action, name, progress, signal) {
        events.push(`start ${action} ${name}`);
        progress('unpacking big-model');
        await new Promise<void>((r) => {
          finishStep = r;
        });
        events.push(`step done, aborted=${signal.aborted}`);
        if (signal.aborted) throw new Error('Interrupted; nothing half done');
      },
    }),
  );
  await type(app, '2');
  await frameWith(app, 'big-model');
  await type(app, 'i');
  await frameWith(app, 'Confirm: install big-model?');
  await type(app, 'y');
  await frameWith(app, 'unpacking big-model');
  await type(app, '\x03');
  await frameWith(app, 'Stopping after the current step...');
  expect(app.exits).toEqual([]); // still running: not killed mid-step
  finishStep();
  for (let i = 0; i < 100 && app.exits.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(events).toEqual(['start install big-model', 'step done, aborted=true']);
  expect(app.exits).toEqual([130]);
});
