/**
 * The setup wizard reads two files the admin names, often on a USB stick: the admin's SSH public
 * key and the repository's signing key. What it showed of them went to Ink as it was, and Ink
 * passes their style sequences (SGR) to the terminal: a signing key's user ID ("Signer: …", shown
 * under the fingerprint the admin is asked to compare) could conceal part of itself (ESC [8m) or
 * paint it black on black, and a .pub file's key type came back the same way in the step's error
 * line. Ink 8 drops the other sequences (cursor moves, OSC) without a word, so nothing showed that
 * the name held more than was seen. Both are shown escaped now (`\x1b[8m`), as the screens fed by
 * escapedSources show untrusted text.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type, typeConsolePassword, wizardToAdminKey } from './helpers.js';

const box = boxPerTest('ink-untrusted');

const ENTER = '\r';
const OVERWRITE = '\x1b[8m <other@example.org>\x1b]0;pwned\x07';

async function toKeyStep() {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToAdminKey(app, 'box-07', 'UTC');
  return app;
}

describe("the setup wizard shows a stick's key files escaped", () => {
  it("the repository key's user ID under the fingerprint to compare", async () => {
    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: `Publisher${OVERWRITE}` }],
      format: 'armored',
    });
    const keyFile = path.join(tempDir('bp-wizard-key-'), 'repo.asc');
    writeFileSync(keyFile, publicKey);
    const app = await toKeyStep();
    await type(app, '\x15', sshPublicKey('ops@laptop'), ENTER);
    await frameWith(app, 'Let SSH listen?');
    await type(app, 'n');
    await typeConsolePassword(app);
    await frameWith(app, 'URL of the package repository');
    await type(app, '\x15', 'https://repo.example.org/main', ENTER);
    await frameWith(app, "repository's public signing key");
    await type(app, '\x15', keyFile, ENTER);
    const frame = await frameWith(app, 'Does this fingerprint match');
    expect(frame).not.toContain('\x1b[8m');
    expect(frame).toContain('Signer: Publisher\\x1b[8m <other@example.org>\\x1b]0;pwned\\x07');
    app.unmount();
  });

  it("an SSH key file's type in the step's error", async () => {
    const pub = path.join(tempDir('bp-wizard-pub-'), 'id.pub');
    writeFileSync(pub, 'ssh\x1b[8m AAAA x@y\n');
    const app = await toKeyStep();
    await type(app, '\x15', pub, ENTER);
    const frame = await frameWith(app, 'unsupported key type');
    expect(frame).not.toContain('\x1b[8m');
    expect(frame).toContain('unsupported key type "ssh\\x1b[8m"');
    app.unmount();
  });
});
