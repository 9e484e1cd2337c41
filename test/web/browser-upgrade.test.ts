/**
 * The dashboard's "Update and upgrade all", in Chromium on a real box (a signed repository, no
 * Podman). It ran at once, with no plan shown: the admin said yes to an upgrade without seeing
 * what it does (here: app 1.0.0 -> 2.0.0, and newlib, which the box does not have, installed as
 * its dependency). `bpkg upgrade`, the console and the dashboard's own install show the plan
 * first. Now: the indexes are updated, then the plan is shown with Upgrade and Cancel; the
 * upgrade carries out that plan, or is refused when it changed since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { publishSources, signedRepo, type TestKey, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

let root: string;
let key: TestKey;
let repo: string;
let b: InBrowser;

const installed = async () =>
  Object.fromEntries((await openBox(root).packages.list()).map((p) => [p.name, p.version]));
const mainText = async () => String(await b.page.evaluate(`document.querySelector('main').innerText`));
const go = async (click: string) => {
  await Promise.all([b.page.waitForNavigation(), b.page.click(click)]);
  return mainText();
};
/**
 * Update and upgrade all…: the update's job page, which goes on to the plan by itself once the
 * update ended (or, ended already, is the plan): the plan's page loaded.
 */
const updateAll = async () => {
  const plan = b.page.waitForResponse((r) => new URL(r.url()).pathname === '/packages/upgrade');
  await b.page.click(UPDATE_ALL);
  await plan;
  await b.page.waitForFunction(
    `location.pathname === '/packages/upgrade' && document.readyState === 'complete'`,
  );
  return mainText();
};
const UPDATE_ALL = 'main button::-p-text(Update and upgrade all)';
const UPGRADE = 'main form button[type=submit]';

/** The job's page once it ended: its state and its whole progress. */
async function jobEnded(): Promise<{ state: string; progress: string }> {
  expect(b.page.url()).toContain('/jobs/');
  await b.page.waitForFunction(`document.querySelector('[data-when-done]')?.hidden === false`, {
    timeout: 30_000,
  });
  await b.page.reload();
  return {
    state: String(await b.page.evaluate(`document.querySelector('[data-testid=job-state]').innerText`)),
    progress: String(await b.page.evaluate(`document.querySelector('[data-testid=progress]').innerText`)),
  };
}

beforeAll(async () => {
  if (!runnable) return;
  ({ key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]));
  root = await trustingRoot(key, repo);
  await openBox(root, { yes: true }).packages.install(['app']);
  // Offered now, but not in the box's index until an update: the button's update finds it.
  await publishSources(repo, key, [
    { name: 'newlib', version: '1.0.0' },
    { name: 'app', version: '2.0.0', depends: ['newlib>=1.0.0'] },
  ]);
  b = await dashboardInBrowser(appOps(root));
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe.skipIf(!runnable)('update and upgrade all, in Chromium', () => {
  it('updates the indexes, then shows the plan and changes nothing until confirmed', async () => {
    await b.page.goto(`${b.base}/packages`);
    const text = await updateAll();
    // The install page's rows: what from -> to, the new dependency as new and whose it is.
    expect(text).toMatch(/app\s+1\.0\.0 -> 2\.0\.0\s+main/);
    expect(text).toMatch(/newlib\s+1\.0\.0 \(new\)\s+main\s+[\d.]+ (?:B|KiB)\s+\(a dependency of app\)/);
    expect(await b.page.$(UPGRADE)).not.toBeNull();
    expect(await installed()).toEqual({ app: '1.0.0' });
    await go('main a::-p-text(Cancel)');
    expect(new URL(b.page.url()).pathname).toBe('/packages');
    expect(await installed()).toEqual({ app: '1.0.0' });
  });

  it("refuses a POST without the session's CSRF token", async () => {
    for (const to of ['/packages/update', '/packages/upgrade'])
      expect(
        await b.page.evaluate(
          `fetch(${JSON.stringify(to)}, { method: 'POST', body: new URLSearchParams('x=1') }).then((r) => r.status)`,
        ),
      ).toBe(403);
    expect(await installed()).toEqual({ app: '1.0.0' });
  });

  it('carries out the plan shown on Upgrade, in the CLI words', async () => {
    await b.page.goto(`${b.base}/packages`);
    await updateAll();
    await go(UPGRADE);
    const job = await jobEnded();
    expect(job.state, job.progress).toBe('done');
    expect(job.progress).toContain('upgraded app 1.0.0 -> 2.0.0');
    expect(job.progress).toContain('installed newlib 1.0.0 from main (a dependency of app)');
    expect(await installed()).toEqual({ app: '2.0.0', newlib: '1.0.0' });
  });

  it('marks in the package list the package installed as a dependency, as bpkg list does', async () => {
    await b.page.goto(`${b.base}/packages`);
    const status = (name: string) =>
      b.page.evaluate(`[...document.querySelectorAll('main tbody tr')]
        .find((tr) => tr.querySelector('td strong')?.textContent === ${JSON.stringify(name)})
        ?.querySelector('td[data-label=Status]')?.innerText`);
    expect(await status('newlib')).toBe('installed, dependency');
    expect(await status('app')).toBe('installed');
  });

  it('says when there is nothing to upgrade, and offers no button', async () => {
    await b.page.goto(`${b.base}/packages`);
    const text = await updateAll();
    expect(text).toMatch(/Nothing to upgrade/);
    expect(await b.page.$(UPGRADE)).toBeNull();
  });

  it('refuses the upgrade when the plan changed after it was shown', async () => {
    await publishSources(repo, key, [{ name: 'app', version: '3.0.0', depends: ['newlib>=1.0.0'] }]);
    await b.page.goto(`${b.base}/packages`);
    expect(await updateAll()).toMatch(/app\s+2\.0\.0 -> 3\.0\.0/);
    // Behind the page's back: a newer version, and the index updated.
    await publishSources(repo, key, [{ name: 'app', version: '4.0.0', depends: ['newlib>=1.0.0'] }]);
    await openBox(root).packages.update();
    await go(UPGRADE);
    const job = await jobEnded();
    expect(job.state, job.progress).toBe('failed');
    expect(job.progress).toContain('changed since the plan was shown');
    expect(await installed()).toEqual({ app: '2.0.0', newlib: '1.0.0' });
  });
});
