/**
 * A module's settings from its service page, in Chromium on a real box with the real engine (the
 * hello module installed with a setting declared, started): the admin changes it in the form,
 * confirms, reads the CLI's sentence (it runs with the old value until its restart), presses the
 * page's Restart and the container runs with the new value. Before, only `blueprint service config`
 * (and `apply -f`) could show or change them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { buildHello, engineUp, makeBox, podman, type TestBox, uniqueName } from '../services/helpers.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

let box: TestBox | undefined;
let b: InBrowser | undefined;
const name = uniqueName('bpt-dashset');
const mainText = async () => String(await b!.page.evaluate(`document.querySelector('main').innerText`));
const go = (click: string) => Promise.all([b!.page.waitForNavigation(), b!.page.click(click)]);
const level = async () =>
  JSON.parse(await podman('inspect', '--format', '{{json .Config.Env}}', `blueprint-${name}`)).find(
    (e: string) => e.startsWith('HELLO_LEVEL='),
  );

beforeAll(async () => {
  if (!runnable || !engineUp) return;
  box = await makeBox(await buildHello());
  await box.install(name, {
    env: { HELLO_LEVEL: '1' },
    settings: { HELLO_LEVEL: { type: 'integer', min: 1, max: 3, description: 'A <i>level</i>' } },
  });
  await openBox(box.root).services.start(name);
  b = await dashboardInBrowser(appOps(box.root));
}, 300_000);

afterAll(async () => {
  await b?.close();
  if (box)
    await openBox(box.root)
      .services.stop(name)
      .catch(() => undefined);
  await box?.cleanup();
}, 120_000);

describe.skipIf(!runnable || !engineUp)("a module's settings, in Chromium", () => {
  it('changes one after asking, says it applies at the restart, and the Restart applies it', async () => {
    await b!.page.goto(`${b!.base}/services/${name}`);
    const row = String(
      await b!.page.evaluate(`document.querySelector('[data-testid="setting-HELLO_LEVEL"]').innerText`),
    );
    expect(row).toContain('A <i>level</i>'); // the description as text, not markup
    expect(row).toContain('a whole number from 1 to 3');
    // A number field with the setting's bounds: the browser itself holds 4 out (no request made).
    await b!.page.type('#set-HELLO_LEVEL', '4');
    expect(await b!.page.evaluate(`document.querySelector('#set-HELLO_LEVEL').checkValidity()`)).toBe(false);
    await b!.page.evaluate(`document.querySelector('#set-HELLO_LEVEL').value = ''`);
    await b!.page.type('#set-HELLO_LEVEL', '3');
    await go('#h-settings ~ form button[type="submit"]:not([name])');
    expect(await mainText()).toContain(`Change these settings of ${name}?`);
    expect(await mainText()).toContain('HELLO_LEVEL: 1 → 3');
    await go('form[action$="/settings/apply"] button[type="submit"]');
    expect(b!.page.url()).toMatch(new RegExp(`/services/${name}\\?notice=`));
    expect(await mainText()).toContain(`${name} runs with the old ones: they apply at its next restart`);
    expect(await level()).toBe('HELLO_LEVEL=1');
    await go(`form[action="/services/${name}/restart"] button`);
    expect(await mainText()).toContain(`${name} 1.0.0 restarted`);
    expect(await level()).toBe('HELLO_LEVEL=3');
    expect(await b!.page.evaluate(`document.querySelector('#set-HELLO_LEVEL').value`)).toBe('3');
  }, 180_000);
});
