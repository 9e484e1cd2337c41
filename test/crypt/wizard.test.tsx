import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EncryptionChoice, EncryptionOutcome } from '../../src/app/index.js';
import { RECOVERY_KEY } from '../../src/core/crypt/index.js';
import { rootsPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';
import { canLoop, detachedAfterEach, encryptChosen, loopDevice, opens } from './loop-helpers.js';

const t = rootsPerTest('ink-crypt');
const ENTER = '\r';

const loops = detachedAfterEach();

/** Answers every step up to the encryption ones (no catalog: the free-text module step is 11th). */
async function toEncryption(over: Parameters<typeof sourcesFor>[1]) {
  const app = renderApp(sourcesFor(t.root, over), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, 'box-23');
  await frameWith(app, 'Modules to install (and start)');
  await type(app, ENTER);
  return app;
}

describe('the setup wizard encrypts the data partition', () => {
  it.skipIf(!canLoop)(
    'without a TPM: a passphrase, then the recovery key shown once, as text and QR',
    async () => {
      const dev = await loopDevice(t.work, 'data.img');
      loops.push(dev);
      const crypttab = path.join(t.root, 'etc/crypttab');
      const asked: EncryptionChoice[] = [];
      const app = await toEncryption({
        encryptionTarget: async () => ({ device: dev, tpm: false }),
        encrypt: async (choice): Promise<EncryptionOutcome> => {
          asked.push(choice);
          return encryptChosen(dev, crypttab, choice);
        },
      });
      const step = await frameWith(app, 'Passphrase for the data partition');
      expect(step).toContain('Step 14 of 14: Data encryption');
      expect(step).toContain('No TPM 2.0 found on this box');
      await type(app, 'short', ENTER);
      expect(await frameWith(app, '! the passphrase')).toContain('at least 8 characters');
      // The passphrase is never echoed.
      await type(app, '\x15', 'long enough phrase');
      const typed = await frameWith(app, '*'.repeat(18));
      expect(typed).not.toContain('long enough phrase');
      await type(app, ENTER);
      expect(await frameWith(app, 'The same passphrase again')).toContain('Step 15 of 15: Data encryption');
      await type(app, 'long enough phrasE', ENTER);
      await frameWith(app, '! the two passphrases differ');
      await type(app, '\x15', 'long enough phrase', ENTER);
      await frameWith(app, 'Apply these changes?');
      await type(app, 'y');
      // Real key derivation (systemd-cryptenroll's default PBKDF for its slots) takes seconds.
      await frameWith(app, 'Data partition encrypted.', 2400);
      await frameWith(app, 'Done.');
      // Encrypted before setup is applied: its marker (which ends the wizard on the image) is not there yet.
      expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(false);
      await type(app, ENTER);
      const shown = await frameWith(app, 'Recovery key for the data partition (shown once)');
      expect(shown).toContain('This recovery key is shown ONCE');
      const key = /\s([cbdefghijklnrtuv]{8}(?:-[cbdefghijklnrtuv]{8}){7})\s/.exec(shown)?.[1];
      expect(key).toMatch(RECOVERY_KEY);
      expect(opens(dev, key!)).toBe(true);
      expect(opens(dev, 'long enough phrase')).toBe(true);
      expect(asked).toEqual([{ mode: 'passphrase', passphrase: 'long enough phrase' }]);
      expect(await readFile(crypttab, 'utf8')).toMatch(/^data UUID=[0-9a-f-]+ none luks,discard\n$/);
      await type(app, 'qr', ENTER);
      const qr = await frameWith(app, 'Scan it. key: text view');
      expect(qr).not.toContain(key!);
      // The code and its prompt fit a 24-line console with the app's header and footer.
      expect(qr.split('\n').length).toBeLessThanOrEqual(24);
      expect(qr).toMatch(/[█▀▄ ]{37}/);
      await type(app, 'key', ENTER);
      await frameWith(app, key!);
      await type(app, 'ok', ENTER);
      await frameWith(app, 'Type saved once the key is kept somewhere safe');
      expect(app.exits).toEqual([]);
      await type(app, 'saved', ENTER);
      await frameWith(app, 'Applying setup');
      await frameWith(app, 'Done.');
      expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(true);
      await type(app, ENTER);
      for (let i = 0; i < 50 && !app.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(app.exits.length).toBe(1);
      app.unmount();
    },
    // Real key derivation on a machine where 7 others run tests.
    120_000,
  );

  it('with a TPM: one question, and the TPM is what setup asks for', async () => {
    const asked: EncryptionChoice[] = [];
    const app = await toEncryption({
      encryptionTarget: async () => ({ device: '/dev/disk/by-partlabel/data', tpm: true }),
      encrypt: async (choice) => {
        asked.push(choice);
        return { mode: choice.mode, alreadyEncrypted: true };
      },
    });
    const step = await frameWith(app, "unlocked at boot by this box's TPM 2.0?");
    expect(step).toContain('Step 14 of 14: Data encryption');
    expect(step).toContain('Data partition: /dev/disk/by-partlabel/data');
    expect(step).toContain('unreadable from the disk alone');
    await type(app, 'y');
    await frameWith(app, 'Apply these changes?');
    await type(app, 'y');
    await frameWith(app, 'The data partition was encrypted already.');
    await frameWith(app, 'Done.');
    expect(asked).toEqual([{ mode: 'tpm' }]);
    await type(app, ENTER);
    await frameWith(app, 'Applying setup');
    await frameWith(app, 'Done.');
    // Setup's last file is written when it has finished; only then may the root be removed (a
    // clean-clone run under load removed it while setup still wrote: ENOTEMPTY).
    const done = path.join(t.root, 'var/lib/blueprint/setup-done');
    for (let i = 0; i < 500 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(done)).toBe(true);
    await type(app, ENTER);
    for (let i = 0; i < 50 && !app.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
    app.unmount();
  });

  it('a failed encryption writes nothing of setup and goes back to the steps', async () => {
    const app = await toEncryption({
      encryptionTarget: async () => ({ device: '/dev/vdb', tpm: true }),
      encrypt: async () => {
        throw new Error('`systemd-cryptenroll --tpm2-device=auto` failed');
      },
    });
    await frameWith(app, "unlocked at boot by this box's TPM 2.0?");
    await type(app, 'y');
    await frameWith(app, 'Apply these changes?');
    await type(app, 'y');
    await frameWith(app, 'systemd-cryptenroll --tpm2-device=auto` failed');
    await type(app, ENTER);
    await frameWith(app, "unlocked at boot by this box's TPM 2.0?");
    expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(false);
    app.unmount();
  });

  it('no encryption only after an explicit yes', async () => {
    const asked: EncryptionChoice[] = [];
    const app = await toEncryption({
      encryptionTarget: async () => ({ device: '/dev/vdb', tpm: false }),
      encrypt: async (choice) => {
        asked.push(choice);
        return { mode: choice.mode };
      },
    });
    await frameWith(app, 'Passphrase for the data partition');
    await type(app, ENTER);
    const ask = await frameWith(app, 'Leave the data partition unencrypted?');
    expect(ask).toContain('Step 15 of 15: Data encryption');
    await type(app, 'n');
    await frameWith(app, 'Press Esc to go back and type a passphrase.');
    await new Promise((r) => setTimeout(r, 1100));
    await type(app, 'y');
    await frameWith(app, 'Apply these changes?');
    await type(app, 'y');
    await frameWith(app, 'Done.');
    // mode none is nothing to do: the partition is left as it is.
    expect(asked).toEqual([]);
    app.unmount();
  });
});
