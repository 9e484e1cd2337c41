/**
 * Ctrl-C while the wizard encrypts the data partition (QA14's walk). The console said 'Stopping
 * after the current step...', and when the encryption ended the wizard closed (130) at once: the
 * recovery key just made, whose only copy was in memory, was never shown. The box's TPM (or
 * passphrase) slot then held the data with no key to recover it. Now the stop waits for the key's
 * screen too: the key is shown, and once the admin types saved the wizard closes, 130, with setup
 * not applied (nothing of it written; the first boot starts over with the partition).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { EncryptionChoice } from '../../src/app/index.js';
import { rootsPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const t = rootsPerTest('recovery-ctrlc');
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';

it('Ctrl-C during the encryption still shows the recovery key, then closes without applying setup', async () => {
  let finish = () => {};
  const app = renderApp(
    sourcesFor(t.root, {
      encryptionTarget: async () => ({ device: '/dev/disk/by-partlabel/data', tpm: true }),
      encrypt: async (choice: EncryptionChoice) => {
        await new Promise<void>((r) => {
          finish = r;
        });
        return { mode: choice.mode, device: '/dev/vda4', recoveryKey: KEY };
      },
    }),
    { initial: 'setup', wizardOnly: true },
  );
  await answerWizardToModules(app, 'box-key');
  await frameWith(app, 'Modules to install (and start)');
  await type(app, '\r');
  await frameWith(app, 'Step 14 of 14');
  await type(app, 'y');
  await frameWith(app, 'Apply these changes?');
  await type(app, 'y');
  await frameWith(app, 'Encrypting the data partition (TPM)');
  await type(app, '\x03');
  await frameWith(app, 'Stopping after the current step');
  finish();
  await frameWith(app, 'Data partition encrypted.');
  await new Promise((r) => setTimeout(r, 200));
  expect(app.exits).toEqual([]);
  await type(app, '\r');
  const shown = await frameWith(app, 'Recovery key for the data partition (shown once)');
  expect(shown).toContain(KEY);
  expect(app.exits).toEqual([]);
  await type(app, 'saved', '\r');
  for (let i = 0; i < 100 && !app.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
  expect(app.exits).toEqual([130]);
  expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(false);
  expect(existsSync(path.join(t.root, 'etc/hostname'))).toBe(false);
  app.unmount();
});
