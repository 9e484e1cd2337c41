/**
 * The dashboard's service page says when a running service's memory limit is not the one its next
 * start gives it (a resource override, a setting or a model installed since it started: MEMADMIT's
 * `runningLimits`, which `service inspect` and `service status NAME` say), in its State card beside
 * the Restart button that applies it; nothing when they agree. Memory admission counts the limit it
 * runs with, so the admin sees why a start elsewhere is admitted or refused.
 * Real Podman (hello, its memory overridden to 128 MiB, started, then overridden to 96 MiB without a
 * restart), the real server and pages (appOps) through its unix socket, and in Chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../helpers/pkg.js';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { logIn } from './box-dashboard.js';
import { dashboardInBrowser, runnable } from './browser-relay.js';
import { request } from './fake-ops.js';

const writeOverride = (root: string, name: string, text: string) => {
  const file = path.join(root, 'etc/blueprint/overrides', `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};

/** The page's State card, its tags taken out. */
const stateCard = (page: string) =>
  (/<section class="card" aria-labelledby="h-state">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ');

describe.skipIf(!engineUp)('web service page: the memory limit a restart changes (real Podman)', () => {
  let box: TestBox | undefined;
  let dash: Dashboard | undefined;
  let cookie = '';
  const name = uniqueName('bpt-weblim');
  const page = async () => {
    const r = await request(dash!.socket, `/services/${name}`, { headers: { cookie } });
    expect(r.status, r.body).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    box = await makeBox(await buildHello());
    await box.install(name);
    dash = await startDashboard({
      runDir: path.join(tempDir('bp-web-limits-'), 'run/blueprint'),
      ops: appOps(box.root),
      gid: process.getgid?.() ?? 0,
    });
    ({ cookie } = await logIn(dash, '/services'));
  }, 120_000);
  afterAll(async () => {
    await dash?.close();
    await box?.cleanup();
  });

  it('says the limit it runs with and the one Restart gives; nothing once they agree', async () => {
    const services = openBox(box!.root).services;
    writeOverride(box!.root, name, '{ "memory": "128m" }\n');
    await services.start(name);
    expect(stateCard(await page())).not.toContain('next start');

    writeOverride(box!.root, name, '{ "memory": "96m" }\n');
    const html = await page();
    const card = stateCard(html);
    expect(card).toContain('Memory limit 128 MiB while it runs; its next start gives it 96 MiB');
    expect(card).toContain('Restart applies it');
    // In the card with the Restart button, marked for the eye and for tests.
    expect(html).toMatch(/data-testid="running-limits"/);

    await services.restart(name);
    expect(stateCard(await page())).not.toContain('next start');
    await services.stop(name);
  }, 180_000);

  it.skipIf(!runnable)(
    'in Chromium: shown in the State card, beside its Restart button',
    async () => {
      const services = openBox(box!.root).services;
      writeOverride(box!.root, name, '{ "memory": "128m" }\n');
      await services.start(name);
      writeOverride(box!.root, name, '{ "memory": "96m" }\n');
      const b = await dashboardInBrowser(appOps(box!.root));
      try {
        await b.page.goto(`${b.base}/services/${name}`);
        const shown = (await b.page.evaluate(`(() => {
        const note = document.querySelector('[data-testid="running-limits"]');
        const card = note && note.closest('section');
        const box = note && note.getBoundingClientRect();
        return {
          text: note ? note.innerText : '',
          visible: !!box && box.width > 0 && box.height > 0,
          card: card ? card.getAttribute('aria-labelledby') : '',
          restart: !!card && !!card.querySelector('form[action$="/restart"] button'),
        };
      })()`)) as { text: string; visible: boolean; card: string; restart: boolean };
        expect(shown).toEqual({
          text: expect.stringContaining('Memory limit 128 MiB while it runs; its next start gives it 96 MiB'),
          visible: true,
          card: 'h-state',
          restart: true,
        });
        await services.restart(name);
        await b.page.reload();
        expect(await b.page.$('[data-testid="running-limits"]')).toBeNull();
      } finally {
        await b.close();
        await services.stop(name);
      }
    },
    180_000,
  );
});
