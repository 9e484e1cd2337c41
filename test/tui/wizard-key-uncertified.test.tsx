/**
 * KEYS5 made `bpkg key add`'s fingerprint prompt show only the user IDs a key certified itself, with
 * a count of the others. The console's setup wizard asks the same question ("Trust the repository
 * key?") from its own reading of the key file, which listed every user ID the file carried: an
 * attacker's key with Debian's name grafted on read `Signer: Debian Archive…` beside the attacker's
 * fingerprint. Now it shows the key's own names and says how many others were left out, never
 * quoting them, as the CLI's prompt does. Real OpenPGP key, real wizard.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { graftedKey } from '../helpers/grafted-key.js';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type, wizardToRepositoryKey } from './helpers.js';

const box = boxPerTest('ink-key-uncertified');

it("the wizard's key-trust question shows the key's own user IDs and counts the others", async () => {
  const k = await graftedKey();
  const file = path.join(tempDir('bp-graft-file-'), 'repo.asc');
  writeFileSync(file, k.armored);
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToRepositoryKey(app);
  await type(app, '\x15', file, '\r');
  const f = (await frameWith(app, 'Trust the repository key?')).replace(/\s+/g, ' ');
  expect(f).toContain('Mallory');
  expect(f).not.toContain('Debian');
  expect(f).toContain('1 other user ID is not shown: the key did not certify it');
  app.unmount();
}, 30_000);

it('a key that certified none of its user IDs is refused at the key step, as `bpkg key add` refuses it', async () => {
  // Before, the step showed it (no name, "1 other user ID is not shown") and let the admin trust it;
  // setup refused it only when it applied, after every other answer (WIZKEY).
  const dir = tempDir('bp-graft-only-');
  const none = await graftedKey({ onlyGrafted: true });
  const good = await graftedKey();
  writeFileSync(path.join(dir, 'none.asc'), none.armored);
  writeFileSync(path.join(dir, 'good.asc'), good.armored);
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToRepositoryKey(app);
  await type(app, '\x15', path.join(dir, 'none.asc'), '\r');
  const f = (await frameWith(app, 'certified none of its user IDs')).replace(/\s+/g, ' ');
  // The CLI's words and hint (keyring.ts), with the key's fingerprint; still at the key step.
  expect(f).toContain(
    `Key ${none.fingerprint.toUpperCase()} certified none of its user IDs: no signature it makes verifies`,
  );
  expect(f).toContain('get the key from the publisher again');
  expect(f).not.toContain('Trust the repository key?');
  expect(f).not.toContain('Debian');
  // Another key file, given at the same step, goes on.
  await type(app, '\x15', path.join(dir, 'good.asc'), '\r');
  const next = (await frameWith(app, 'Trust the repository key?')).replace(/\s+/g, ' ');
  expect(next).toContain('Mallory');
  expect(next).not.toContain('certified none');
  app.unmount();
}, 30_000);
