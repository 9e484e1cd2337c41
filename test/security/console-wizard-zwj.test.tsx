/**
 * CONSOLE10's audit: the setup wizard's key step shows the repository key's user IDs (`Signer: …`,
 * under the fingerprint the admin compares) from the key file itself, not through escapedSources:
 * escaped (escapeLine), but a ZWJ sequence of emoji reached the screen joined, where every other
 * screen shows its parts (docs/tui.md: tmux 3.3a keeps only a joined family's first 21 bytes, so
 * `👨‍👩‍👧‍👦` lost its last person there while the console counted it whole). The notes, the step's
 * error and the summary now go through the same emojiParts as the sources' text.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import {
  frameWith,
  renderApp,
  sourcesFor,
  type,
  typeConsolePassword,
  wizardToAdminKey,
} from '../tui/helpers.js';

const box = boxPerTest('wizard-zwj');
const ENTER = '\r';
const FAMILY = '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466}';

describe("the wizard's key step shows a signer's ZWJ sequence as its parts", () => {
  it('a family in the user ID is four emoji, tags are escapes', async () => {
    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: `Publisher ${FAMILY}\u{e0045}` }],
      format: 'armored',
    });
    const keyFile = path.join(tempDir('bp-wizard-zwj-'), 'repo.asc');
    writeFileSync(keyFile, publicKey);
    const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
    await wizardToAdminKey(app, 'box-07', 'UTC');
    await type(app, '\x15', sshPublicKey('ops@laptop'), ENTER);
    await frameWith(app, 'Let SSH listen?');
    await type(app, 'n');
    await typeConsolePassword(app);
    await frameWith(app, 'URL of the package repository');
    await type(app, '\x15', 'https://repo.example.org/main', ENTER);
    await frameWith(app, "repository's public signing key");
    await type(app, '\x15', keyFile, ENTER);
    const frame = await frameWith(app, 'Does this fingerprint match');
    expect(frame).not.toContain('\u200d');
    expect(frame).toContain('Signer: Publisher \u{1f468}\u{1f469}\u{1f467}\u{1f466}\\u{e0045}');
    app.unmount();
  });
});
