/**
 * The recovery key's screen, the one time the key is shown (QA14's walk). It said to keep the key
 * but not how it is used: the day the TPM refuses (or the passphrase is lost) the box's console
 * says "type the data partition's recovery key" at boot (image/crypt/unlock), and it is typed as
 * shown, dashes included. And on a 40x12 serial line the screen was taller than the terminal: its
 * rows were painted over each other, the key among them. Now the screen says how the key is used,
 * and the key and its prompt stay whole on any screen (the warning gives way).
 */
import { expect, it } from 'vitest';
import type { EncryptionChoice } from '../../src/app/index.js';
import { RECOVERY_KEY } from '../../src/core/crypt/index.js';
import { rootsPerTest } from '../helpers/roots.js';
import {
  answerWizardToModules,
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
} from '../tui/helpers.js';

const t = rootsPerTest('recovery-screen');
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';

async function toKeyScreen(columns: number, rows: number) {
  const app = renderApp(
    sourcesFor(t.root, {
      encryptionTarget: async () => ({ device: '/dev/disk/by-partlabel/data', tpm: true }),
      encrypt: async (choice: EncryptionChoice) => ({
        mode: choice.mode,
        device: '/dev/vda4',
        recoveryKey: KEY,
      }),
    }),
    { initial: 'setup', wizardOnly: true },
  );
  consoleSize(app, columns, rows);
  await answerWizardToModules(app, 'box-key');
  await frameWith(app, 'Modules to install (and start)');
  await type(app, '\r');
  await frameWith(app, 'Step 14 of 14: Data encryption');
  await type(app, 'y');
  await frameWith(app, 'Apply these changes?');
  await type(app, 'y');
  await frameWith(app, 'Data partition encrypted.');
  await frameWith(app, 'Done.');
  await type(app, '\r');
  return app;
}

it('says how the key is used at boot', async () => {
  expect(KEY).toMatch(RECOVERY_KEY);
  const app = await toKeyScreen(80, 24);
  const shown = await frameWith(app, 'Recovery key for the data partition (shown once)');
  expect(shown).toContain(KEY);
  expect(shown.replace(/\s+/g, ' ')).toContain(
    'If the box asks at boot to "type the data partition\'s recovery key", type it as shown, dashes included.',
  );
  expect(shown.split('\n').length).toBeLessThanOrEqual(24);
  app.unmount();
});

it('on a 40x12 serial line: the whole key and its prompt, no row over another', async () => {
  const app = await toKeyScreen(40, 12);
  const start = app.frames.length;
  const shown = await frameWith(app, 'Type saved when it is kept safe');
  // The key wraps at 40 columns; every one of its groups is there, in order.
  const groups = shown.match(/[cbdefghijklnrtuv]{8}/g) ?? [];
  expect(groups.join('-')).toContain(KEY);
  // Busy until the key is read: Ctrl-C then stops after it (test/crypt/recovery-key-ctrl-c).
  expect(shown.split('\n').at(-1)).toBe('Esc back  Ctrl-C stop');
  expectFits(app.frames.slice(start), 40, 12);
  app.unmount();
});
