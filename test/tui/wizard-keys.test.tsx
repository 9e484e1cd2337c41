/**
 * Found by trying the image as a new user would: at "Let SSH listen? (y/n)" people type `y` and
 * then Enter. The `y` answered the step and the Enter then answered the next one (the repository
 * URL) empty, unseen. A confirm step now takes its answer and waits for Enter, so one answer is
 * one step, however it is typed.
 */
import { describe, expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type, typeConsolePassword, wizardToAdminKey } from './helpers.js';

const box = boxPerTest('ink-keys');

const ENTER = '\r';

async function toSshStep() {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToAdminKey(app, 'box-07', 'UTC');
  await type(app, '\x15', sshPublicKey('ops@laptop'), ENTER);
  await frameWith(app, 'Let SSH listen?');
  return app;
}

describe('a confirm step in the setup wizard', () => {
  it('y then Enter answers the SSH step only: the repository URL step is shown, not skipped', async () => {
    const app = await toSshStep();
    // As a person types: Enter comes a moment after the letter, once the screen has moved on.
    await type(app, 'y');
    await new Promise((r) => setTimeout(r, 250));
    await type(app, ENTER);
    await frameWith(app, 'URL of the package repository');
    // Give a wrongly forwarded Enter time to land: the URL step must still be on screen.
    await new Promise((r) => setTimeout(r, 300));
    expect(app.lastFrame()).toContain('URL of the package repository');
    expect(app.lastFrame()).not.toContain('DNS server addresses');
    app.unmount();
  });

  it('y and Enter in one chunk (fast typing, a paste) answer one step too', async () => {
    const app = await toSshStep();
    await type(app, 'y\r');
    await frameWith(app, 'URL of the package repository');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.lastFrame()).toContain('URL of the package repository');
    app.unmount();
  });

  it('the letter alone answers; an Enter typed later, or after another key, answers the next step', async () => {
    const app = await toSshStep();
    await type(app, 'y');
    await frameWith(app, 'URL of the package repository');
    await new Promise((r) => setTimeout(r, 1200));
    await type(app, ENTER); // meant: the URL left empty on purpose
    await frameWith(app, 'DNS server addresses');
    app.unmount();
    const again = await toSshStep();
    await type(again, 'n');
    await typeConsolePassword(again);
    await frameWith(again, 'URL of the package repository');
    await type(again, 'x', '\x7f', ENTER); // typed, erased, Enter: meant too
    await frameWith(again, 'DNS server addresses');
    again.unmount();
  });

  it('after the last y/n step, its Enter does not also pass the GPU check page', async () => {
    const app = await toSshStep();
    await type(app, 'n');
    await typeConsolePassword(app);
    await frameWith(app, 'URL of the package repository');
    await type(app, '\x15', ENTER); // clear, accept: another key first, so this Enter is meant
    await frameWith(app, 'DNS server addresses');
    await type(app, ENTER);
    await frameWith(app, 'NTP servers');
    await type(app, ENTER);
    await frameWith(app, 'Debian security updates');
    await type(app, 'y');
    await new Promise((r) => setTimeout(r, 200));
    await type(app, ENTER);
    await frameWith(app, 'GPU check');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.lastFrame()).toContain('GPU check');
    app.unmount();
  });
});
