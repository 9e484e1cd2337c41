/**
 * What the first-boot wizard tells the admin to do once setup is applied (QA14's walk). Its last
 * screen said "Done." and nothing else: not how to log in, and not that with SSH off (the step's
 * default) nobody can ever log in, since the admin it makes has no password (key only) and root is
 * locked; the wizard does not come back once setup is done. The SSH step now says that before the
 * answer, and the last screen says how to log in, or that nobody can. Since QA18 SSH off asks a
 * console password (test/tui/console-password), and the last screen says to log in there with it.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { answerWizardToModules, frameWith, renderApp, sourcesFor } from './helpers.js';
import { applyNoModules } from './wizard-apply.js';

const box = boxPerTest('tuinext');

it('with SSH off: the step and the last screen say the admin logs in at the console (QA18)', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  const seen: string[] = [];
  const walk = answerWizardToModules(app, 'box-off');
  seen.push(await frameWith(app, 'Let SSH listen?'));
  await walk;
  expect(seen[0]).toContain(
    'n: admin logs in on the console and serial line only, with a password asked next.',
  );
  const done = await applyNoModules(app);
  expect(done.replace(/\s+/g, ' ')).toContain(
    'SSH is off: admin logs in on the console or the serial line with the console password.',
  );
  expect(done).not.toContain('nobody can log in');
  app.unmount();
});

it('with SSH on: the last screen gives the ssh line to log in with, at the box addresses', async () => {
  // The running box's addresses (boxAddresses: none on a root other than /, as this temp root).
  const addresses = async () => ['192.0.2.7', '2001:db8::7'];
  const app = renderApp(sourcesFor(box.root, { addresses }), { initial: 'setup', wizardOnly: true });
  await answerWizardToModules(app, 'box-on', { ssh: true });
  const done = await applyNoModules(app);
  expect(done.replace(/\s+/g, ' ')).toContain(
    'Next: from your computer, ssh admin@box-on (or admin@192.0.2.7, admin@2001:db8::7); the console opens at login.',
  );
  expect(done).not.toContain('nobody can log in');
  app.unmount();
});
