/**
 * The wizard's yes/no steps (SSH, security updates) showed '> y / n' over the key line 'Enter accept
 * Esc previous step  Ctrl-U clear': Enter did nothing there and said nothing, and there is no text to
 * clear (QA8's walk of the README: at 'Install Debian security updates automatically?' Enter was
 * pressed four times, the step unchanged). A yes/no step's key line now names its keys, y and n; the
 * GPU check (Enter goes on) has no Ctrl-U; a text step's line is as before.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type, wizardToAdminKey } from './helpers.js';

const box = boxPerTest('tuiyesno');

it('a yes/no step names y and n, not Enter; a text step keeps Enter and Ctrl-U', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToAdminKey(app, 'box-yn');
  expect(app.lastFrame()).toContain('Enter accept  Esc previous step  Ctrl-U clear');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  const ssh = await frameWith(app, 'Let SSH listen?');
  expect(ssh).toContain('y yes  n no  Esc previous step');
  expect(ssh).not.toContain('Enter accept');
  expect(ssh).not.toContain('Ctrl-U');
  app.unmount();
});
