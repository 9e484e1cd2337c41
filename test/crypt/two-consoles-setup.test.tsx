/**
 * Two consoles (the screen and the serial line) set up one box with encryption (QA18's left item).
 * The first encrypted the data partition and showed its recovery key; while its admin copied the
 * key (setup not yet applied: its marker comes last), the second console answered its summary y,
 * found the partition "encrypted already" and applied its own admin and host name over the box:
 * the first console's encryption (its passphrase, its key) with the second's setup. The first then
 * got "set up meanwhile". Now a setup holds the box from its encryption to its marker: the second
 * is refused while the first reads its key, and once the first is applied, told the box was set up
 * meanwhile and ends with 5 (a conflict), never applying.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { EncryptionChoice, EncryptionOutcome } from '../../src/app/index.js';
import { rootsPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';
import { canLoop, detachedAfterEach, encryptChosen, loopDevice, opens } from './loop-helpers.js';

const t = rootsPerTest('two-setups');
const ENTER = '\r';
const loops = detachedAfterEach();

it.skipIf(!canLoop)(
  "a second console never applies its setup over the first's encryption",
  async () => {
    const dev = await loopDevice(t.work, 'data.img');
    loops.push(dev);
    const crypttab = path.join(t.root, 'etc/crypttab');
    // The real encryption on a loop device; a partition no longer blank is reported as the app's
    // encryptData reports it (no blank target, encrypted: nothing done, no key).
    const encrypt = async (choice: EncryptionChoice): Promise<EncryptionOutcome> => {
      try {
        return await encryptChosen(dev, crypttab, choice);
      } catch (err) {
        if ((err as { code?: string }).code === 'already-encrypted')
          return { mode: choice.mode, alreadyEncrypted: true };
        throw err;
      }
    };
    const open = () =>
      renderApp(
        sourcesFor(t.root, { encryptionTarget: async () => ({ device: dev, tpm: false }), encrypt }),
        {
          initial: 'setup',
          wizardOnly: true,
        },
      );
    const toSummary = async (app: ReturnType<typeof open>, host: string, phrase: string) => {
      await answerWizardToModules(app, host);
      await frameWith(app, 'Modules to install (and start)');
      await type(app, ENTER);
      await frameWith(app, 'Passphrase for the data partition');
      await type(app, '\x15', phrase, ENTER);
      await frameWith(app, 'The same passphrase again');
      await type(app, '\x15', phrase, ENTER);
      await frameWith(app, 'Apply these changes?');
    };
    const consoleApp = open();
    const serial = open();
    await toSummary(consoleApp, 'box-con', 'console phrase 17');
    await toSummary(serial, 'box-ser', 'serial phrase 23');

    // The console encrypts and shows its key; its admin is still copying it.
    await type(consoleApp, 'y');
    await frameWith(consoleApp, 'Data partition encrypted.', 2400);
    await frameWith(consoleApp, 'Done.');
    await type(consoleApp, ENTER);
    const shown = await frameWith(consoleApp, 'Recovery key for the data partition (shown once)');
    const key = /\s([cbdefghijklnrtuv]{8}(?:-[cbdefghijklnrtuv]{8}){7})\s/.exec(shown)?.[1];
    expect(opens(dev, key!)).toBe(true);

    // The serial line answers y meanwhile: refused, nothing of its answers written.
    await type(serial, 'y');
    const refused = await frameWith(serial, /Another setup is running/, 600);
    expect(refused).not.toContain('Applying setup');
    // What the person at this console can do (no shell here: not "remove the lock file").
    const said = refused.replace(/\s+/g, ' ');
    expect(said).toContain('Nothing was written or encrypted here');
    expect(said).not.toContain('remove');
    expect(existsSync(path.join(t.root, 'etc/hostname'))).toBe(false);
    expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(false);
    await type(serial, ENTER);
    await frameWith(serial, 'The same passphrase again');

    // The console's admin has the key: its setup is applied.
    await type(consoleApp, 'saved', ENTER);
    await frameWith(consoleApp, 'Applying setup');
    await frameWith(consoleApp, /Done\./, 600);
    expect(existsSync(path.join(t.root, 'var/lib/blueprint/setup-done'))).toBe(true);

    // The serial line tries again: the box was set up meanwhile; it ends, 5, having applied nothing.
    await type(serial, '\x15', 'serial phrase 23', ENTER);
    await frameWith(serial, 'Apply these changes?');
    await type(serial, 'y');
    await frameWith(serial, 'This box was set up meanwhile', 600);
    await type(serial, ENTER);
    for (let i = 0; i < 100 && !serial.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(serial.exits).toEqual([5]);
    expect((await readFile(path.join(t.root, 'etc/hostname'), 'utf8')).trim()).toBe('box-con');
    // The one key shown still opens the partition: nothing encrypted it again.
    expect(opens(dev, key!)).toBe(true);
    await type(consoleApp, ENTER);
    for (let i = 0; i < 100 && !consoleApp.exits.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(consoleApp.exits).toEqual([0]);
    consoleApp.unmount();
    serial.unmount();
  },
  // Real key derivation on a loaded machine.
  180_000,
);
